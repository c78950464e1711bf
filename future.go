package synchronicity

import (
	"context"
	"errors"
	"iter"
	"strconv"
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

// indices hears of each future by its index, in settling order; its buffer
// has room for all of them.
type indices chan int

func (c indices) settled(i int, _ bool) { c <- i }

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

// Result waits for the future to settle and returns its value and error. If
// the task panicked, Result panics with its *PanicError — unless the loop
// has reported that panic already (see [OnPanic]), in which case Result
// returns it as the error: a panic has one observer.
func (f *Future[T]) Result() (T, error) {
	if f.state.Load() != settled {
		f.ctx.loop.mustNotWaitHere("Future.Result")
		<-f.Done()
	}
	return f.outcome()
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
	if f.state.Load() != settled {
		f.ctx.loop.mustNotWaitHere("Future.Wait")
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
// at once; the future settles when the task returns. Cancel settles a
// pending promise with context.Canceled. Cancelling a settled future does
// nothing.
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

// completed yields the indices of fs in the order they settle. When the
// consumer stops early, or ctx ends, it cancels the futures still pending
// and waits for them before returning, so nothing it waited on outlives it.
func completed[T any](op string, ctx context.Context, fs []*Future[T]) iter.Seq[int] {
	return func(yield func(int) bool) {
		ch := indices(wakeFor[int](fs, len(fs)))
		subscribe(op, fs, ch)
		left := len(fs)
		defer func() {
			if left == 0 {
				return
			}
			for _, f := range fs {
				f.Cancel()
			}
			for ; left > 0; left-- {
				<-ch
			}
		}()
		for left > 0 {
			select {
			case i := <-ch:
				left--
				if !yield(i) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}

// All waits for every future and returns their values in order. The first
// error, or the end of ctx, cancels the futures still pending; All waits for
// them and returns that error. A panic in any of them does the same and
// then re-panics.
func All[T any](ctx context.Context, fs ...*Future[T]) ([]T, error) {
	mustArgs("All", ctx, false)
	// All needs no order of completion, so it is told only of the first
	// failure and of the last future: one wake-up, not one per future.
	g := &gather{wake: wakeFor[struct{}](fs, 1)}
	g.left.Store(int64(len(fs)))
	subscribe("All", fs, g)
	if len(fs) > 0 {
		select {
		case <-g.wake:
		case <-ctx.Done():
		}
	}
	cut := g.left.Load() > 0 // by a failure or by ctx
	if cut {
		for _, f := range fs {
			f.Cancel()
		}
		for g.left.Load() > 0 {
			<-g.wake
		}
	}
	if i := g.failed.Load(); i > 0 {
		_, err := fs[i-1].outcome()
		return nil, err
	}
	if cut {
		return nil, ctx.Err()
	}
	out := make([]T, len(fs))
	for i, f := range fs {
		out[i] = f.val
	}
	return out, nil
}

// gather counts futures down, remembering the first that failed, and wakes
// its waiter on that failure and when none is left.
type gather struct {
	left   atomic.Int64
	failed atomic.Int64 // 1 + the index of the first failure
	wake   chan struct{}
}

func (g *gather) settled(i int, failed bool) {
	first := failed && g.failed.CompareAndSwap(0, int64(i)+1)
	if g.left.Add(-1) == 0 || first {
		select {
		case g.wake <- struct{}{}:
		default: // the waiter has a wake-up pending, and looks again
		}
	}
}

// subscribe has n told of each future in fs settling, for combinator op.
func subscribe[T any](op string, fs []*Future[T], n notifier) {
	var checked *Loop
	for i, f := range fs {
		if f == nil {
			panic("synchronicity." + op + ": nil *Future at index " + strconv.Itoa(i))
		}
		f.mustBeMade()
		if l := f.ctx.loop; l != nil && l != checked && l.serial && f.state.Load() != settled {
			checked = l
			l.mustNotWaitHere(op)
		}
	}
	for i, f := range fs {
		f.subscribe(n, i)
	}
}

// Any returns the value of the first future to succeed, cancelling the rest
// and waiting for them. If none succeeds it returns all their errors,
// joined. A panic in any of them cancels the rest and re-panics.
func Any[T any](ctx context.Context, fs ...*Future[T]) (T, error) {
	mustArgs("Any", ctx, false)
	var zero T
	if len(fs) == 0 {
		return zero, errors.New("synchronicity.Any: no futures")
	}
	var errs []error
	for i := range completed("Any", ctx, fs) {
		f := fs[i]
		if f.rec == nil && f.err != nil {
			errs = append(errs, f.err)
			continue
		}
		return f.outcome()
	}
	if len(errs) < len(fs) {
		return zero, ctx.Err()
	}
	return zero, errors.Join(errs...)
}

// AsCompleted yields the futures in the order they settle, each beside its
// index in fs and already settled, so its Result does not block; the first
// one is a race's winner. Breaking out of the loop, or ctx ending, cancels
// the futures still pending and waits for them before the range statement
// ends; after ctx ends nothing more is yielded, so a caller that needs to
// tell the two apart checks ctx.Err().
func AsCompleted[T any](ctx context.Context, fs ...*Future[T]) iter.Seq2[int, *Future[T]] {
	mustArgs("AsCompleted", ctx, false)
	return func(yield func(int, *Future[T]) bool) {
		for i := range completed("AsCompleted", ctx, fs) {
			if !yield(i, fs[i]) {
				return
			}
		}
	}
}

// Settle waits for every future to settle without cancelling any of them,
// whatever their outcomes, and returns their values and errors by index:
// vals[i] and errs[i] are what fs[i].Result() returns, and both slices have
// len(fs) elements. It is JavaScript's Promise.allSettled; [All] is the
// form that cancels the rest at the first error. errors.Join(errs...) is
// the joined error, nil if all succeeded.
//
// If ctx ends first, Settle stops waiting: the futures still pending get
// ctx's error in errs and go on running (cancel them with [Future.Cancel]).
// If futures panicked, Settle panics once it has stopped waiting, with their
// *[PanicError] (joined into one if several panicked).
func Settle[T any](ctx context.Context, fs ...*Future[T]) (vals []T, errs []error) {
	mustArgs("Settle", ctx, false)
	c := &countdown{wake: wakeFor[struct{}](fs, 0)}
	c.left.Store(int64(len(fs)))
	subscribe("Settle", fs, c)
	if len(fs) > 0 {
		select {
		case <-c.wake:
		case <-ctx.Done():
		}
	}
	vals, errs = make([]T, len(fs)), make([]error, len(fs))
	var ps []*PanicError
	for i, f := range fs {
		switch {
		case f.state.Load() != settled:
			errs[i] = ctx.Err()
		case f.rec != nil:
			if pe, wasReported := f.rec.observe(); wasReported {
				errs[i] = pe
			} else {
				ps = append(ps, pe)
			}
		default:
			vals[i], errs[i] = f.val, f.err
		}
	}
	if p := joinPanics(ps); p != nil {
		panic(p)
	}
	return vals, errs
}

// countdown closes wake when the last of its futures has settled.
type countdown struct {
	left atomic.Int64
	wake chan struct{}
}

func (c *countdown) settled(int, bool) {
	if c.left.Add(-1) == 0 {
		close(c.wake)
	}
}
