package synchronicity

import (
	"context"
	"runtime/trace"
	"sync/atomic"
)

// A Future is the outcome of a task started with [Go], or of a promise made
// with [NewPromise]: a value and an error, available once it settles.
//
// Done gives a channel for select; Result blocks; Wait blocks until a
// context ends; Cancel cancels the task. A future that settled with a panic
// re-panics (with a *[PanicError]) in whoever observes it; if nobody does,
// the loop's Close reports it. A Future is safe for use by many goroutines.
type Future[T any] struct {
	state   atomic.Uint32 // pending → settling → settled
	promise bool          // made by NewPromise, so without a loop
	val     T
	err     error
	rec     *panicRecord // how the task panicked, and whether that was observed
	// The task's context, with the task's loop (nil for a promise). Its
	// mutex also orders subscribing after settling.
	ctx task

	done chan struct{} // made on the first Done of a pending future
	sub  sub           // the first combinator waiting for it
	more *[]sub        // the others, rarely any
}

// sub is a combinator's subscription: on settling, the future tells n its
// index i, and whether it failed.
type sub struct {
	n notifier
	i int
}

// A notifier hears of futures settling. It must not block.
type notifier interface{ settled(i int, failed bool) }

const (
	pending uint32 = iota
	settling
	settled
)

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// settle records the outcome if the future is still pending, and reports
// whether it did: the first settle wins.
func (f *Future[T]) settle(v T, err error, p *PanicError) bool {
	if !f.state.CompareAndSwap(pending, settling) {
		return false
	}
	f.val, f.err = v, err
	if p != nil {
		// Nobody may ever ask: once f is unreachable, the loop reports it.
		f.rec = f.ctx.loop.notePanic(p)
		whenCollected(f, f.rec)
	}
	f.state.Store(settled)
	f.ctx.mu.Lock()
	done, first, more := f.done, f.sub, f.more
	f.sub, f.more = sub{}, nil
	f.ctx.mu.Unlock()
	if done != nil {
		close(done)
	}
	failed := err != nil || p != nil
	if first.n != nil {
		first.n.settled(first.i, failed)
	}
	if more != nil {
		for _, s := range *more {
			s.n.settled(s.i, failed)
		}
	}
	return true
}

// subscribe tells n of f's settling (at once if it has).
func (f *Future[T]) subscribe(n notifier, i int) {
	if f.state.Load() != settled { // settled is common when tasks are short
		f.ctx.mu.Lock()
		if f.state.Load() != settled { // settle will see the subscription
			if f.sub.n == nil {
				f.sub = sub{n, i}
			} else {
				if f.more == nil {
					f.more = new([]sub)
				}
				*f.more = append(*f.more, sub{n, i})
			}
			f.ctx.mu.Unlock()
			return
		}
		f.ctx.mu.Unlock()
	}
	n.settled(i, f.rec != nil || f.err != nil)
}

// Done returns a channel that is closed when the future settles.
func (f *Future[T]) Done() <-chan struct{} {
	if f.state.Load() == settled {
		return closedChan
	}
	f.mustBeMade()
	var made chan struct{}
	if l := f.ctx.loop; l.foreign() {
		made = chanFor[struct{}](l, 0) // before the lock, under which l's goroutine settles f
	}
	f.ctx.mu.Lock()
	defer f.ctx.mu.Unlock()
	if f.done == nil {
		if f.state.Load() == settled {
			// settle has passed, or will find no channel to close.
			return closedChan
		}
		if made == nil {
			made = make(chan struct{})
		}
		f.done = made // settle will close it
	}
	return f.done
}

// Result waits for the future to settle and returns its value and error:
// what the task returned, even after [Future.Cancel] (see there). Called on
// a serial loop's goroutine for a task of that loop that has not started,
// Result runs the task there and then, ahead of the work queued before it;
// for one that has started (the caller's own), it panics. If
// the task panicked, Result panics with its *PanicError — unless the loop
// has reported that panic already (see [OnPanic]), in which case Result
// returns it as the error: a panic has one observer.
func (f *Future[T]) Result() (T, error) {
	if f.state.Load() != settled && !f.ranHere("Future.Result") && !f.spun() {
		<-f.Done()
	}
	return f.outcome()
}

// spun reports whether the future settled while the caller spun for it, as
// a blocking Call to a LockOSThread loop does (see spinUntil): blocking
// would put the caller's thread to sleep, and waking it costs more than
// the task a thread-locked loop runs for a call.
func (f *Future[T]) spun() bool {
	l := f.ctx.loop
	if l == nil || !l.lockOS {
		return false
	}
	l.callers.Add(1) // see crowded
	defer l.callers.Add(-1)
	return spinUntil(func() bool { return f.state.Load() == settled })
}

// ranHere runs the future's task on the spot, if the caller is the goroutine
// of the task's serial loop and the task has not started, and reports
// whether it did. On that goroutine a task that has started is the caller's
// own, which can never settle while it waits: op panics, naming the mistake.
func (f *Future[T]) ranHere(op string) bool {
	l := f.ctx.loop
	if l == nil || !l.serial || !l.onLoop() {
		return false
	}
	if !l.runPending(&f.ctx) {
		l.mustNotWaitHere(op)
	}
	return true
}

// mustBeMade panics on a Future not made by this package.
func (f *Future[T]) mustBeMade() {
	if f.ctx.loop == nil && !f.promise && f.state.Load() == pending {
		panic("synchronicity: use of a zero Future; futures come from Go, Func.Go and NewPromise")
	}
}

// Wait is Result that stops waiting when ctx is done, returning ctx's error.
// It does not cancel the task; [Future.Cancel] does.
func (f *Future[T]) Wait(ctx context.Context) (T, error) {
	mustArgs("Future.Wait", ctx, false)
	if f.state.Load() != settled && !f.ranHere("Future.Wait") && !f.spun() {
		select {
		case <-f.Done():
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	return f.outcome()
}

// Cancel cancels the task's context (cause [context.Canceled]) and returns
// at once; the future settles when the task returns. Cancellation is
// cooperative, as everywhere in Go: the future settles with whatever the
// task returns, so a task that ends anyway with a value and a nil error
// gives Result that value and nil, and one that returns ctx.Err() gives
// context.Canceled. A task not yet started when Cancel comes (waiting for a
// turn under [Limit], or queued on a serial loop) is not called and settles
// with context.Canceled. Cancel settles a pending promise with
// context.Canceled. Cancelling a settled future does nothing.
func (f *Future[T]) Cancel() {
	if f.ctx.loop != nil {
		f.ctx.cancel()
		return
	}
	f.mustBeMade()
	var zero T
	f.settle(zero, context.Canceled, nil)
}

// outcome returns the settled result, re-panicking a task's panic, or
// returning it as the error once the loop has reported it.
func (f *Future[T]) outcome() (T, error) {
	if f.rec != nil {
		pe, wasReported := f.rec.observe()
		if !wasReported {
			panic(pe)
		}
		var zero T
		return zero, pe
	}
	return f.val, f.err
}

// NewPromise returns a pending future and the function that settles it, for
// bridging callback APIs. The first call to settle wins and reports true;
// later calls change nothing and report false. A promise belongs to no loop.
func NewPromise[T any]() (*Future[T], func(T, error) bool) {
	f := &Future[T]{promise: true}
	return f, func(v T, err error) bool { return f.settle(v, err, nil) }
}

// runTask runs fn on the current goroutine as one of l's tasks: it waits for
// a turn under Limit, skips fn if ctx is already done, and turns a panic into
// a *PanicError. A task that calls runtime.Goexit does not return here; its
// callers preset their results to errGoexit for that case.
//
// It notes how the task ended for Stats, and with runtime/trace on makes it
// a trace task, with a region for its wait for a turn and one for its run.
func runTask[T any](l *Loop, t *task, fn func(context.Context) (T, error)) (v T, p *PanicError, err error) {
	if trace.IsEnabled() {
		return runTraced(l, t, fn)
	}
	return runIn(l, t, t, fn)
}

// runTraced is runTask while an execution trace is recorded.
func runTraced[T any](l *Loop, t *task, fn func(context.Context) (T, error)) (v T, p *PanicError, err error) {
	ctx, tt := l.traceTask(t, &t.work)
	defer tt.End()
	return runIn(l, t, ctx, func(ctx context.Context) (T, error) {
		defer trace.StartRegion(ctx, "run").End()
		return fn(ctx)
	})
}

// runIn is runTask with ctx, t or a context made from it, for fn.
func runIn[T any](l *Loop, t *task, ctx context.Context, fn func(context.Context) (T, error)) (v T, p *PanicError, err error) {
	w := &t.work
	if l.slots != nil && !l.takeSlot(ctx) {
		w.end = canceled
		return v, nil, explain(t, t.Err())
	}
	defer l.freeSlot()
	if err := t.Err(); err != nil { // ended while it waited for its turn
		w.end = canceled
		return v, nil, explain(t, err)
	}
	if w.timed {
		w.began = now()
	}
	defer func() {
		if r := recover(); r != nil {
			t.work.end = panicked
			p = workPanic(r, &t.work)
		}
		if named := t.work.label; named != nil && named.given {
			t.loop.wearLabels()
		}
	}()
	if w.label != nil {
		l.wearName(w)
	}
	v, err = fn(ctx)
	if err != nil {
		w.end = outcomeOf(err, nil)
	}
	return v, nil, explain(t, err)
}

// Go starts fn as a task of loop l (nil means the default loop) and returns
// its future at once: the async form of [Call]. The task's context is done
// when ctx is done, the future is cancelled, or the loop closes. On a closed
// loop the future is already settled with an error matching [ErrClosed].
//
// A panic in fn is carried to whoever observes the future — Result, Wait,
// All, Any, AsCompleted or Settle re-panic with a *[PanicError] that keeps
// fn's stack — because the caller that waits is the one that can handle it.
// errgroup chose otherwise (its Wait does not carry panics, since a panic
// could then be delayed indefinitely and hidden from crash monitors); here a
// panic that nobody observes is not delayed for ever nor hidden: it goes to
// the loop's [OnPanic] handler, or else its [Logger] or standard error, once
// the future is garbage collected unobserved or the loop closes, whichever
// comes first.
func Go[T any](ctx context.Context, l *Loop, fn func(context.Context) (T, error)) *Future[T] {
	mustArgs("Go", ctx, fn == nil)
	l = orDefault(l)
	f := &Future[T]{ctx: task{loop: l}}
	if !l.acquire() {
		var zero T
		f.settle(zero, l.closedError("Go"), nil)
		return f
	}
	f.ctx.init(ctx, l)
	l.track(ctx, &f.ctx.work, viaGo, fn)
	// fn travels with the goroutine, not in f, so that it is let go of
	// when the task ends: one small allocation, the closure with both.
	if l.serial {
		l.submit(&futureJob[T]{f: f, fn: fn})
	} else {
		go f.run(fn)
	}
	return f
}

// futureJob is a future's task queued on a serial loop. A wait for the
// future on the loop's own goroutine runs it there and then, if it has not
// started (see Loop.runPending).
type futureJob[T any] struct {
	q  jobLink
	f  *Future[T]
	fn func(context.Context) (T, error)
}

func (j *futureJob[T]) run()               { j.f.run(j.fn) }
func (*futureJob[T]) finish()              {}
func (j *futureJob[T]) of() any            { return &j.f.ctx }
func (j *futureJob[T]) working() *inflight { return &j.f.ctx.work }
func (j *futureJob[T]) link() *jobLink     { return &j.q }

func (f *Future[T]) run(fn func(context.Context) (T, error)) {
	l := f.ctx.loop
	var (
		v   T
		err = errGoexit // stays if fn calls runtime.Goexit
		p   *PanicError
	)
	defer func() {
		f.ctx.cancel() // lets go of its parents
		l.untrack(&f.ctx.work)
		f.settle(v, err, p)
		l.release()
	}()
	if !l.serial {
		l.wearLabels()
	}
	v, p, err = runTask(l, &f.ctx, fn)
}
