package synchronicity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
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

// own marks the managers of this package, which may implement opener.
// Asserting to it first is cheap: unlike an assertion to a generic
// interface, it is cached at the call site, so other managers pay almost
// nothing for the check.
type own interface{ own() }

// enter starts one use of cm.
func enter[T any](ctx context.Context, cm ContextManager[T]) (T, exiter, error) {
	// Scoped first: asserting to a concrete type is a compare, while
	// asserting to a generic interface looks the method table up each time.
	if s, ok := cm.(*scoped[T]); ok {
		return s.open(ctx)
	}
	if _, ok := cm.(own); ok {
		if o, ok := cm.(opener[T]); ok {
			return o.open(ctx)
		}
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

// errBodyGoexit is what Exit sees when the body called runtime.Goexit (as
// t.FailNow does) inside [With] or [Do].
var errBodyGoexit = errors.New("synchronicity: body called runtime.Goexit")

// errExitGoexit stands for the result of an Exit that called
// runtime.Goexit: what an exit stack's next Exit sees, and what OnLoop's
// Exit returns when the wrapped Exit did that on a serial loop's goroutine.
var errExitGoexit = errors.New("synchronicity: Exit called runtime.Goexit")

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

// exitOnce returns Enter's exit function for x. It is not generic, so the
// closure carries no type dictionary and fits a smaller size class.
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

func (*once) own() {}

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

// Scoped makes a context manager from one function, like Python's
// @contextmanager: fn sets up, calls yield with the value for the body, and
// tears down. yield returns how the body ended: nil, the body's error, or a
// *[PanicError] if it panicked. What fn returns is the final error, as with
// Exit: return yield's error to pass it on, nil to suppress it.
//
//	tx := synchronicity.Scoped(func(ctx context.Context, yield func(*Tx) error) error {
//		t, err := db.Begin(ctx)
//		if err != nil {
//			return err // Enter fails; the body does not run
//		}
//		if err := yield(t); err != nil {
//			return errors.Join(err, t.Rollback())
//		}
//		return t.Commit()
//	})
//
// Enter runs fn up to its yield and parks it there, on a goroutine of its
// own; Exit resumes it with the body's outcome and waits for it to finish.
// So Enter and Exit may be called on different goroutines, in any state of
// OS-thread locking. [Do] and [With] need no goroutine: they run the body
// inside fn's yield. fn keeps Enter's ctx throughout; Exit's ctx is not
// passed to it. Every Enter starts a fresh run of fn, so one manager serves
// any number of uses, concurrent or nested, through [Enter], [With], [Do]
// and [Push] (calling the Enter and Exit methods directly allows one use at
// a time). A use that is entered must be exited, or its parked fn is never
// resumed and its goroutine never ends.
//
// When the goroutine of a [Serial] loop enters or exits a use entered with
// a ctx of that loop (a task's, or through [OnLoop]), fn stands in for it
// while it waits: fn's [Call]s to the loop run at once instead of queueing
// behind the waiting task, and on a [LockOSThread] loop they still run on
// the loop's thread (a [Seq] or [Map] that fn ranges over runs inline, on
// fn's goroutine). Through OnLoop on a LockOSThread loop, fn itself runs on
// the loop's thread too.
//
// If fn returns before calling yield, Enter returns its error, or an error
// saying so if it returned nil. If fn calls yield a second time, that yield
// returns an error at once and Exit reports the misuse. A panic in fn, before
// or after its yield, comes out of Enter or Exit as a *[PanicError], since
// there fn runs on a goroutine of its own, and if fn calls runtime.Goexit,
// the goroutine in Enter or Exit goes on with it; with [Do] and [With] fn
// runs on the caller's goroutine and its panic goes on unchanged. A panic in
// the body reaches fn's yield as a *PanicError and, once fn has returned,
// goes on with its original value in every form. Scoped panics if fn is nil.
func Scoped[T any](fn func(ctx context.Context, yield func(T) error) error) ContextManager[T] {
	if fn == nil {
		panic("synchronicity.Scoped: nil function")
	}
	return &scoped[T]{fn: fn}
}

var (
	errNoYield      = errors.New("synchronicity.Scoped: function returned without calling yield")
	errYieldedTwice = errors.New("synchronicity.Scoped: function called yield more than once")
)

type scoped[T any] struct {
	fn func(context.Context, func(T) error) error
	once
}

// Enter starts a run of fn and returns the value it yields.
func (s *scoped[T]) Enter(ctx context.Context) (T, error) {
	return enterOnce(&s.once, "Scoped", ctx, s.open)
}

// Exit resumes the run Enter started with err and returns fn's result.
func (s *scoped[T]) Exit(ctx context.Context, err error) error {
	return s.once.exit("Scoped", ctx, err)
}

// call runs one use with body inside fn's yield: when the body is a
// function ([Do], [With]) fn needs no goroutine. Everything runs on the
// caller's goroutine, so panics go on with their own values: fn's as it
// raised it, the body's once fn has seen it and returned.
func (s *scoped[T]) call(ctx context.Context, body func(T) error) (err error) {
	yields := 0
	var bodyPanic any
	err = s.fn(ctx, func(v T) (err error) {
		if yields++; yields > 1 {
			return errYieldedTwice
		}
		defer func() {
			if r := recover(); r != nil {
				bodyPanic = r
				err = newPanicError(r)
			}
		}()
		return body(v)
	})
	if bodyPanic != nil {
		panic(bodyPanic)
	}
	return scopedResult(err, yields)
}

// scopedResult is the error of a run of fn that returned err after calling
// yield the given number of times.
func scopedResult(err error, yields int) error {
	switch {
	case yields == 0 && err == nil:
		return errNoYield
	case yields > 1 && !errors.Is(err, errYieldedTwice):
		return errors.Join(err, errYieldedTwice)
	}
	return err
}

// scopedRun is one use of a Scoped function entered with Enter or Push,
// parked at its yield between them. fn runs on a goroutine of its own, and
// the two sides take turns through c. Not as a coroutine: the runtime aborts
// the process when one is resumed with other OS-thread locking than it was
// made with, and a use may be entered on a locked goroutine and exited on an
// unlocked one, or the other way round. Only [OnLoop] on a [LockOSThread]
// loop steps fn as a coroutine of the loop's goroutine, to keep it on the
// loop's thread (see onThread).
type scopedRun[T any] struct {
	ctx    context.Context
	fn     func(context.Context, func(T) error) error
	c      chan struct{} // the turn, passed back and forth; closed when fn's run ends
	v      T             // what fn yielded
	yields int
	body   error       // how the body ended, for fn's yield to return
	err    error       // what fn returned
	pe     *PanicError // how fn panicked
	goexit bool        // fn called runtime.Goexit

	next func() (T, bool) // the coroutine's, if fn runs as one
	out  func(T) bool     // its yield

	// A serial loop whose goroutine may wait for fn's turn: while it does,
	// fn's goroutine stands in for it, so blocking calls fn makes to the
	// loop run inline instead of queueing behind the waiting job.
	loop    *Loop
	lending bool   // the current turn is the loop's
	id      uint64 // fn's goroutine, once lent to
}

func (s *scoped[T]) open(ctx context.Context) (T, exiter, error) {
	return s.start(ctx, false)
}

// onThread starts a use for OnLoop on a LockOSThread loop, on the loop's
// goroutine: fn runs as a coroutine of that goroutine, on its thread, and
// OnLoop's Exit resumes it there too.
func (s *scoped[T]) onThread(ctx context.Context) (T, exiter, error) {
	return s.start(ctx, true)
}

func (s *scoped[T]) start(ctx context.Context, coroutine bool) (T, exiter, error) {
	r := &scopedRun[T]{ctx: ctx, fn: s.fn}
	if l, ok := ctx.Value(loopKey{}).(*Loop); ok && l.serial {
		r.loop = l
	}
	if coroutine {
		// Never stopped: Exit runs fn to its end, and a failed start has
		// ended it already.
		r.next, _ = iter.Pull(r.coroutine)
	}
	if r.resume() {
		return r.v, r, nil
	}
	if r.pe != nil {
		panic(r.pe)
	}
	var zero T
	return zero, nil, scopedResult(r.err, 0)
}

// run is fn's goroutine.
func (r *scopedRun[T]) run() {
	defer close(r.c)
	r.goexit = true // unless fn returns or panics
	r.call()
	r.goexit = false
}

// coroutine is fn's coroutine.
func (r *scopedRun[T]) coroutine(out func(T) bool) {
	r.out = out
	r.call()
}

// call runs fn, with its panic caught.
func (r *scopedRun[T]) call() {
	defer func() {
		if v := recover(); v != nil {
			r.pe = newPanicError(v)
		}
	}()
	r.stepping()
	r.err = r.fn(r.ctx, r.yield)
}

func (r *scopedRun[T]) yield(v T) error {
	if r.yields++; r.yields > 1 {
		return errYieldedTwice
	}
	if r.out != nil {
		r.out(v) // parks the coroutine until Exit resumes it
	} else {
		r.v = v
		r.c <- struct{}{} // the caller's turn, until Exit gives it back
		<-r.c
	}
	r.stepping()
	return r.body
}

// resume gives fn its turn, until it yields (parked reports true) or its
// run ends. A serial loop's goroutine lends fn its identity meanwhile; on a
// LockOSThread loop fn's goroutine is then its stand-in, whose calls to the
// loop it runs while it waits.
func (r *scopedRun[T]) resume() (parked bool) {
	var s *standIn
	if l := r.loop; l != nil {
		if r.lending = l.onLoop(); r.lending {
			host := l.owner.Load()
			defer l.owner.Store(host)
			if r.next == nil && l.lockOS && l.standIn.Load() == nil {
				s = &standIn{host: host, jobs: make(chan func()), done: make(chan bool)}
				l.standIn.Store(s)
				defer l.standIn.Store(nil)
			}
		}
	}
	if r.next != nil {
		r.v, parked = r.next() // goes on with a Goexit of fn's
		return parked
	}
	if r.c == nil {
		r.c = make(chan struct{})
		go r.run()
	} else {
		r.c <- struct{}{}
	}
	if s == nil {
		_, parked = <-r.c
	} else {
		parked = r.await(s)
	}
	if !parked && r.goexit {
		runtime.Goexit() // fn's, going on in the goroutine that gave it the turn
	}
	return parked
}

// await waits for the end of fn's turn, running what fn's goroutine, the
// loop's stand-in, hands the loop meanwhile.
func (r *scopedRun[T]) await(s *standIn) (parked bool) {
	for {
		select {
		case _, parked = <-r.c:
			return parked
		case job := <-s.jobs:
			s.serve(r.loop, job, func() { r.await(s) })
		}
	}
}

// stepping is fn's side of resume.
func (r *scopedRun[T]) stepping() {
	if r.lending {
		if r.id == 0 {
			r.id = goid()
		}
		r.loop.owner.Store(r.id)
	}
}

// Exit resumes fn with the body's outcome and waits for it to return.
func (r *scopedRun[T]) Exit(_ context.Context, err error) error {
	r.body = err
	r.resume() // fn cannot yield again, so this runs it to its end
	if r.pe != nil {
		panic(r.pe)
	}
	return scopedResult(r.err, r.yields)
}

// OnLoop returns a manager that runs cm's Enter and Exit as work of loop l
// (nil means [Default]), while the body runs on the caller's goroutine. On a
// serial loop they run on the loop's goroutine, so a manager for a resource
// tied to a thread ([LockOSThread]) sets up and tears down on that thread.
//
// Enter runs as [Call] does: it fails with [ErrClosed] on a closed loop,
// and its ctx is done when the caller's ctx is done or the loop closes. That
// ctx stays valid until Exit has run (a [Scoped] function keeps it
// throughout). Between Enter and Exit the use counts as work in flight, so
// the loop's Close waits for Exit. Exit always runs, even after ctx has
// ended or the loop has begun closing, and gets the ctx passed to it as it
// is: Close does not cut teardown short. A panic in Enter or Exit comes out
// in the caller as a *[PanicError]. OnLoop panics if cm is nil.
//
// On a LockOSThread loop a [Scoped] cm's function runs as a coroutine of the
// loop's goroutine, on its thread. The runtime ends the process if a
// coroutine is resumed with other OS-thread locking than it was made with,
// so work of that loop that calls runtime.LockOSThread or UnlockOSThread
// itself must not enter or exit such a manager between those calls.
func OnLoop[T any](l *Loop, cm ContextManager[T]) ContextManager[T] {
	if cm == nil {
		panic("synchronicity.OnLoop: nil ContextManager")
	}
	return &onLoop[T]{loop: l, cm: cm, name: fmt.Sprintf("%T", cm)}
}

type onLoop[T any] struct {
	loop *Loop
	cm   ContextManager[T]
	name string // of cm's type, for reports
	once
}

// Enter enters the wrapped manager on the loop.
func (m *onLoop[T]) Enter(ctx context.Context) (T, error) {
	return enterOnce(&m.once, "OnLoop", ctx, m.open)
}

// Exit exits the wrapped manager on the loop.
func (m *onLoop[T]) Exit(ctx context.Context, err error) error {
	return m.once.exit("OnLoop", ctx, err)
}

func (m *onLoop[T]) open(ctx context.Context) (v T, _ exiter, err error) {
	mustArgs("OnLoop", ctx, false)
	l := orDefault(m.loop)
	if !l.acquire() { // held until Exit, so the loop stays up for it
		return v, nil, l.closedError("OnLoop")
	}
	x := &loopExit{loop: l}
	l.track(&x.work, viaOnLoop, &m.name)
	x.ctx, x.cancel = l.bind(ctx)
	if l.serial {
		// So that a [Scoped] function knows whose goroutine waits for it.
		x.ctx = context.WithValue(x.ctx, loopKey{}, l)
	}
	defer func() {
		if x.inner == nil {
			x.end()
		}
	}()
	v, err = Call(x.ctx, l, func(context.Context) (v T, err error) {
		// The inner manager gets x.ctx, not Call's, which ends with Call.
		if s, ok := m.cm.(*scoped[T]); ok && l.lockOS {
			v, x.inner, err = s.onThread(x.ctx)
		} else {
			v, x.inner, err = enter(x.ctx, m.cm)
		}
		return v, err
	})
	if err != nil {
		return v, nil, err
	}
	return v, x, nil
}

// loopExit is the teardown of one OnLoop use.
type loopExit struct {
	loop   *Loop
	inner  exiter
	ctx    context.Context // the use's, from Enter to Exit
	cancel context.CancelCauseFunc
	work   inflight
}

func (x *loopExit) end() {
	x.cancel(context.Canceled)
	x.loop.untrack(&x.work)
	x.loop.release()
}

func (x *loopExit) Exit(ctx context.Context, err error) error {
	defer x.end()
	res := errExitGoexit // stays if the inner Exit calls runtime.Goexit
	var p *PanicError
	exit := func() {
		defer func() {
			if r := recover(); r != nil {
				p = newPanicError(r)
			}
		}()
		res = x.inner.Exit(ctx, err)
	}
	if x.loop.serial && !x.loop.onLoop() {
		// Not through Call: teardown must run even on a closing loop and
		// with a done ctx. The count held since Enter keeps the loop's
		// goroutine serving.
		done := chanFor[struct{}](x.loop, 0)
		x.loop.enqueue(func() {
			defer close(done)
			exit()
		})
		<-done
	} else if s := x.loop.lentTo(); s != nil {
		s.do(exit) // on the loop's thread
	} else {
		exit()
	}
	if p != nil {
		panic(p)
	}
	return res
}

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

// Closing returns a manager whose Enter calls open and whose Exit closes
// what open returned, joining Close's error to the error so far. Each use
// opens its own value. Closing panics if open is nil.
func Closing[T io.Closer](open func(ctx context.Context) (T, error)) ContextManager[T] {
	if open == nil {
		panic("synchronicity.Closing: nil function")
	}
	return &closing[T]{openFn: open}
}

type closing[T io.Closer] struct {
	openFn func(context.Context) (T, error)
	once
}

// Enter opens a value.
func (c *closing[T]) Enter(ctx context.Context) (T, error) {
	return enterOnce(&c.once, "Closing", ctx, c.open)
}

// Exit closes the value Enter opened.
func (c *closing[T]) Exit(ctx context.Context, err error) error {
	return c.once.exit("Closing", ctx, err)
}

func (c *closing[T]) open(ctx context.Context) (T, exiter, error) {
	v, err := c.openFn(ctx)
	if err != nil {
		return v, nil, err
	}
	return v, closer{v}, nil
}

type closer struct{ c io.Closer }

func (c closer) Exit(_ context.Context, err error) error { return errors.Join(err, c.c.Close()) }
