package synchronicity

import (
	"context"
	"sync"
)

// A ContextManager is a resource with setup and teardown, like a Python
// context manager: Enter sets it up and returns the value to use, Exit tears
// it down.
//
// Exit is called once after every successful Enter, and never after a failed
// one. It receives how the body ended: nil, the body's error, or a
// *[PanicError] if the body panicked. What it returns is the final error:
// returning err unchanged passes it on, returning nil suppresses it,
// returning another error replaces it (managers that fail in teardown
// usually return errors.Join(err, theirErr)). A panic cannot be suppressed:
// it keeps panicking after Exit has run, whatever Exit returns, and with its
// original value, so a recover further up (net/http's, for
// http.ErrAbortHandler) sees what the body panicked with.
//
// Use a manager with [Enter] and a deferred exit, the range form [With], the
// callback form [Do], or an [ExitStack]. Write one as a type with the two
// methods, or as one function with [Scoped].
type ContextManager[T any] interface {
	Enter(ctx context.Context) (T, error)
	Exit(ctx context.Context, err error) error
}

// exiter is the teardown half of one use of a manager.
type exiter interface {
	Exit(ctx context.Context, err error) error
}

// opener is implemented by managers whose uses are independent of each
// other ([Scoped], [OnLoop], [Closing]): open starts a use and returns its own
// teardown, so one manager value can be entered by many goroutines at once.
// The package's functions prefer it to Enter and Exit.
type opener[T any] interface {
	open(ctx context.Context) (T, exiter, error)
}

// enter starts one use of cm.
func enter[T any](ctx context.Context, cm ContextManager[T]) (T, exiter, error) {
	if o, ok := cm.(opener[T]); ok {
		return o.open(ctx)
	}
	v, err := cm.Enter(ctx)
	if err != nil {
		return v, nil, err
	}
	return v, cm, nil
}

func mustManager[T any](op string, ctx context.Context, cm ContextManager[T]) {
	mustArgs(op, ctx, false)
	if cm == nil {
		panic("synchronicity." + op + ": nil ContextManager")
	}
}

// leave ends a use: it calls x.Exit with err, or with r as a *PanicError if
// the body panicked, and then keeps panicking with r itself: the panic
// crossed no goroutine, so it goes on as the body raised it.
func leave(ctx context.Context, x exiter, err error, r any) error {
	if r != nil {
		x.Exit(ctx, newPanicError(r))
		panic(r)
	}
	return x.Exit(ctx, err)
}

// Enter enters cm and returns its value and the function that exits it,
// meant to be deferred at once with a pointer to the caller's named error
// result:
//
//	v, exit, err := synchronicity.Enter(ctx, cm)
//	if err != nil {
//		return err
//	}
//	defer exit(&err)
//
// The exit function calls cm's Exit with *errp and writes Exit's result back
// into *errp. If the body panics, exit recovers the panic, passes it to Exit
// as a *[PanicError] and panics again with the original value, so a recover
// further up sees what the body panicked with (if Exit panics itself, that
// panic goes on instead). To see the panic, exit must be the
// deferred function itself, as above, not called from another deferred
// function, because Go's recover works only there. Exit cannot tell a body
// that called runtime.Goexit from one that returned; [With] and [Do] can.
//
// With a nil errp, Exit sees a nil error and its result is dropped, as with
// defer f.Close(). Calling exit again does nothing. If cm's Enter fails,
// Enter returns its error and an exit function that does nothing, and cm's
// Exit is never called.
//
// Enter panics if ctx or cm is nil.
func Enter[T any](ctx context.Context, cm ContextManager[T]) (T, func(errp *error), error) {
	mustManager("Enter", ctx, cm)
	v, x, err := enter(ctx, cm)
	if err != nil {
		return v, noExit, err
	}
	return v, exitOnce(ctx, x), nil
}

// exitOnce returns Enter's exit function for x.
func exitOnce(ctx context.Context, x exiter) func(errp *error) {
	done := false
	return func(errp *error) {
		if done {
			return
		}
		done = true
		// The work is written out here, not in a function of its own: every
		// deferred exit runs it, and the call showed in profiles.
		if r := recover(); r != nil {
			leave(ctx, x, nil, r) // panics again with r
		}
		if errp == nil {
			x.Exit(ctx, nil)
			return
		}
		*errp = x.Exit(ctx, *errp)
	}
}

func noExit(*error) {}

// Do enters cm, calls body with its value and exits cm with body's error,
// returning Exit's result. If Enter fails, Do returns its error without
// calling body. A panic in body reaches Exit as a *[PanicError] and goes on
// with its original value after Exit has run. A body that calls runtime.Goexit (as t.FailNow does)
// has Exit see an error saying so; a [Scoped] function, which runs the body
// inside its yield, is unwound by Goexit instead: its deferred calls run.
// Do panics if ctx, cm or body is nil.
func Do[T any](ctx context.Context, cm ContextManager[T], body func(T) error) error {
	mustManager("Do", ctx, cm)
	if body == nil {
		panic("synchronicity.Do: nil body")
	}
	return do(ctx, cm, body)
}

func do[T any](ctx context.Context, cm ContextManager[T], body func(T) error) error {
	if s, ok := cm.(*scoped[T]); ok {
		return s.call(ctx, body) // body runs inside fn's yield: no hand-off
	}
	v, x, err := enter(ctx, cm)
	if err != nil {
		return err
	}
	// A body that calls runtime.Goexit (as t.FailNow does) neither returns
	// nor panics: Exit sees errBodyGoexit, and Goexit goes on.
	finished := false
	defer func() {
		if !finished {
			if r := recover(); r != nil {
				leave(ctx, x, nil, r)
			}
			x.Exit(ctx, errBodyGoexit)
		}
	}()
	err = body(v)
	finished = true
	return x.Exit(ctx, err)
}

// once gives a manager that implements opener the plain Enter and Exit
// methods, for callers that use them directly: one use at a time, since
// Exit has to find the use that Enter started.
type once struct {
	mu   sync.Mutex
	busy bool
	x    exiter
}

func enterOnce[T any](s *once, op string, ctx context.Context, open func(context.Context) (T, exiter, error)) (T, error) {
	s.mu.Lock()
	if s.busy {
		s.mu.Unlock()
		panic("synchronicity." + op + ": Enter called again before Exit; the functions Enter, With, Do and Push give each use its own run")
	}
	s.busy = true
	s.mu.Unlock()
	var x exiter
	defer func() { // also if open panics
		s.mu.Lock()
		s.x, s.busy = x, x != nil
		s.mu.Unlock()
	}()
	v, x, err := open(ctx)
	return v, err
}

func (s *once) exit(op string, ctx context.Context, err error) error {
	s.mu.Lock()
	x := s.x
	s.x, s.busy = nil, false
	s.mu.Unlock()
	if x == nil {
		panic("synchronicity." + op + ": Exit called without a successful Enter")
	}
	return x.Exit(ctx, err)
}
