package synchronicity

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"sync/atomic"
)

// indices hears of each future by its index, in settling order; its buffer
// has room for all of them.
type indices chan int

func (c indices) settled(i int, _ bool) { c <- i }

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
	for i, f := range fs {
		if f == nil {
			panic("synchronicity." + op + ": nil *Future at index " + strconv.Itoa(i))
		}
		f.mustBeMade()
		if f.state.Load() != settled {
			f.ranHere(op) // on a serial loop's own goroutine: now, in order
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
