package synchronicity_test

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The default loop's interrupt watcher lives as long as the process.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/synchronicity-go/synchronicity.watchInterrupts"))
}
