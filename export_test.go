package synchronicity

import "io"

// SetPanicOutput sends the reports of loops without an OnPanic handler to w
// until restore is called.
func SetPanicOutput(w io.Writer) (restore func()) {
	old := setPanicOutput(w)
	return func() { setPanicOutput(old) }
}
