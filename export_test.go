package synchronicity

import (
	"io"
	"time"
)

// SetPanicOutput sends the reports of loops without an OnPanic handler to w
// until restore is called.
func SetPanicOutput(w io.Writer) (restore func()) {
	old := setPanicOutput(w)
	return func() { setPanicOutput(old) }
}

// SetStuckAfter sets how long Close and Shutdown wait for work in flight
// before they report it, until restore is called.
func SetStuckAfter(d time.Duration) (restore func()) {
	old := stuckAfter
	stuckAfter = d
	return func() { stuckAfter = old }
}
