//go:build !go1.24

package synchronicity

import (
	"context"
	"runtime"
)

// reclaim stops a stream once its handle h is unreachable, so that a stream
// dropped without Stop does not keep its goroutine for ever.
func reclaim[T any](h *Stream[T], cancel context.CancelCauseFunc) {
	runtime.SetFinalizer(h, func(*Stream[T]) { cancel(errStopped) })
}
