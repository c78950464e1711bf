package synchronicity

import (
	"context"
	"errors"
	"iter"
	"runtime"
)

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
