//go:build go1.25

package synchronicity_test

import (
	"testing"
	"testing/synctest"
)

func init() {
	fzBubble = func(t *testing.T, f func()) { synctest.Test(t, func(*testing.T) { f() }) }
}
