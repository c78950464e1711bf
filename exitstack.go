package synchronicity

import (
	"context"
	"errors"
)

// ExitStack unwinds several context managers and deferred functions in
// reverse order, like Python's contextlib.ExitStack, for a number of
// resources not known when the code is written, or set up one after another
// where any step may fail:
//
//	var stack synchronicity.ExitStack
//	defer stack.Unwind(ctx, &err)
//	a, err := synchronicity.Push(ctx, &stack, openA)
//	if err != nil {
//		return err // a's Exit runs, with this error
//	}
//	b, err := synchronicity.Push(ctx, &stack, openB)
//	...
//
// Unwinding passes each Exit the error so far and hands what it returns on
// to the next, so the final error is the last one's result: managers join
// their own teardown errors to it, and one may suppress it. The zero value
// is an empty stack ready to use; it is not safe for concurrent use.
type ExitStack struct {
	exits []exiter
}

// Push enters cm and, if Enter succeeds, pushes its Exit onto s. If Enter
// fails, Push returns its error and s is unchanged: unwinding s (as a
// deferred [ExitStack.Unwind] does) exits the managers entered before.
// Push panics if ctx, s or cm is nil.
func Push[T any](ctx context.Context, s *ExitStack, cm ContextManager[T]) (T, error) {
	mustManager("Push", ctx, cm)
	if s == nil {
		panic("synchronicity.Push: nil *ExitStack")
	}
	v, x, err := enter(ctx, cm)
	if err != nil {
		var zero T
		return zero, err
	}
	s.exits = append(s.exits, x)
	return v, nil
}

// Defer pushes fn onto s, to be called when s unwinds with the error so far;
// what it returns becomes the error so far, as an Exit's result does. It
// panics if fn is nil.
func (s *ExitStack) Defer(fn func(ctx context.Context, err error) error) {
	if fn == nil {
		panic("synchronicity.ExitStack.Defer: nil function")
	}
	s.exits = append(s.exits, exitFunc(fn))
}

type exitFunc func(ctx context.Context, err error) error

func (f exitFunc) Exit(ctx context.Context, err error) error { return f(ctx, err) }

// Unwind exits what was pushed onto s, last first, passing each Exit the
// error so far, starting with *errp, and writes the final error back into
// *errp. It is made to be deferred, as the exit function of [Enter] is: if
// the function deferring it panics, every Exit sees the panic as a
// *[PanicError] and the panic goes on afterwards with its original value
// (or, if an Exit panicked too, with that Exit's). Unwind must itself be the
// deferred call (defer stack.Unwind(ctx, &err)) to see a panic. If an Exit
// panics, the rest still run, seeing the panic as a *[PanicError], and
// Unwind panics again at the end with the value the Exit panicked with. If
// an Exit calls runtime.Goexit (as t.FailNow does), the rest still run,
// seeing an error that says so, and then the Goexit goes on. With a nil
// errp the stack unwinds with a nil error and the result is dropped.
// Afterwards s is empty and may be used again. Unwind panics if ctx is nil.
func (s *ExitStack) Unwind(ctx context.Context, errp *error) {
	mustArgs("ExitStack.Unwind", ctx, false)
	var err error
	if errp != nil {
		err = *errp
	}
	err = s.unwind(ctx, err, recover())
	if errp != nil {
		*errp = err
	}
}

// unwind pops and exits everything on s; r is the value of a panic in
// flight, which every Exit sees as a *PanicError and which goes on at the
// end as it was raised. A panic in an Exit takes its place.
func (s *ExitStack) unwind(ctx context.Context, err error, r any) error {
	var p *PanicError
	if r != nil {
		p = newPanicError(r)
	}
	goexit := true
	defer func() {
		if goexit {
			// An Exit called runtime.Goexit: the rest still run, seeing
			// that, before the Goexit goes on.
			s.unwind(ctx, errors.Join(err, errExitGoexit), r)
		}
	}()
	for n := len(s.exits); n > 0; n = len(s.exits) {
		x := s.exits[n-1]
		s.exits[n-1] = nil
		s.exits = s.exits[:n-1]
		if p != nil {
			err = p
		}
		if q := exitCatching(ctx, x, &err); q != nil {
			r, p = q, newPanicError(q)
		}
	}
	goexit = false
	if r != nil {
		panic(r)
	}
	return err
}

// exitCatching exits x with *err and returns the value Exit panicked with,
// if it did.
func exitCatching(ctx context.Context, x exiter, err *error) (r any) {
	defer func() { r = recover() }()
	*err = x.Exit(ctx, *err)
	return nil
}
