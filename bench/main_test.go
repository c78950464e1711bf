package bench

import (
	"testing"

	"go.uber.org/goleak"
	"golang.design/x/mainthread"
)

// TestMain runs the tests and benchmarks inside mainthread.Init, which keeps
// the main goroutine serving mainthread.Call and runs its argument on another
// goroutine; that suits tests, which never need the main goroutine
// themselves. goleak then checks, from that goroutine, that nothing is left
// behind, ignoring the main goroutine parked in Init.
func TestMain(m *testing.M) {
	mainthread.Init(func() {
		goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("golang.design/x/mainthread.Init"))
	})
}
