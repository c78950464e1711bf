package synchronicity

import (
	"context"
	"errors"
	"fmt"
)

// ErrClosed is returned for work submitted to a closed Loop. It is also the
// cause (see [context.Cause]) of the cancellation that [Loop.Close] delivers
// to work in flight, so a task cut short by Close reports it too. Like every
// cancellation cause of this package, it matches [context.Canceled] with
// errors.Is, so that one test finds cancelled work whether the code in
// between reported ctx.Err() or, as net/http does, context.Cause(ctx).
var ErrClosed error = &cancelError{"synchronicity: loop closed"}

// ErrInterrupted is the cancellation cause of a loop's work after an
// interrupt signal reached a loop made with [CancelOnInterrupt]. It matches
// [context.Canceled] with errors.Is.
var ErrInterrupted error = &cancelError{"synchronicity: interrupted"}

// A cancelError is a cancellation cause: it matches context.Canceled.
type cancelError struct{ msg string }

func (e *cancelError) Error() string { return e.msg }

func (e *cancelError) Is(target error) bool { return target == context.Canceled }

// errGoexit is what a task that called runtime.Goexit (as t.FailNow does)
// settles with: it neither returned nor panicked.
var errGoexit = errors.New("synchronicity: task called runtime.Goexit")

// explain adds ctx's cause to err when err is just ctx's own error, so that a
// task that returned ctx.Err() after Close or an interrupt says why:
// errors.Is works for both context.Canceled and ErrClosed.
func explain(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	ctxErr := ctx.Err()
	if ctxErr == nil || !errors.Is(err, ctxErr) {
		return err
	}
	cause := context.Cause(ctx)
	if cause == nil || errors.Is(err, cause) {
		return err
	}
	return fmt.Errorf("%w: %w", err, cause)
}

// mustArgs panics with a message naming op when ctx or fn is nil.
func mustArgs(op string, ctx context.Context, fnIsNil bool) {
	if ctx == nil {
		panic("synchronicity." + op + ": nil context (use context.Background())")
	}
	if fnIsNil {
		panic("synchronicity." + op + ": nil function")
	}
}

// errBodyGoexit is what Exit sees when the body called runtime.Goexit (as
// t.FailNow does) inside [With] or [Do].
var errBodyGoexit = errors.New("synchronicity: body called runtime.Goexit")

// errExitGoexit stands for the result of an Exit that called
// runtime.Goexit: what an exit stack's next Exit sees, and what OnLoop's
// Exit returns when the wrapped Exit did that on a serial loop's goroutine.
var errExitGoexit = errors.New("synchronicity: Exit called runtime.Goexit")

var (
	errNoYield      = errors.New("synchronicity.Scoped: function returned without calling yield")
	errYieldedTwice = errors.New("synchronicity.Scoped: function called yield more than once")
)

// errStopped is the cause of the cancellation a producer sees when its
// consumer stops early.
var errStopped error = &cancelError{"synchronicity: consumer stopped"}

// errInputGoexit ends a Map whose input called runtime.Goexit.
var errInputGoexit = errors.New("synchronicity.Map: input sequence called runtime.Goexit")
