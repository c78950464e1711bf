package synchronicity

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"runtime/trace"
)

// Map calls fn for each value of in, several calls at once (see [Prefetch]),
// as work of loop l (nil means the default loop), and yields each call's
// result and error.
// Results come in input order unless [Unordered] is given; without
// [StopOnError] an error is yielded in its item's place and the map goes on.
// Each range over the returned sequence starts a fresh run.
//
// Map reads in from one goroutine at a time, and never more than n inputs
// ahead of the loop body (read but not yet yielded), so a slow consumer
// holds back the input. Worker goroutines are started as the consumer needs
// them, up to n, and hand results over without a channel operation per item.
//
// The calls' context is done when ctx is done, the loop closes or the run
// ends. Breaking out of the loop (or panicking in it) cancels the calls in
// flight, stops reading in and waits for every goroutine the run started
// before the range statement finishes. If ctx ends or the loop closes, the
// last pair is (zero, ctx's error, explaining the cause). A panic in fn or
// in in re-panics in the ranging goroutine as a *[PanicError], after the
// rest has been cancelled and waited for. On a closed loop the sequence
// yields one pair (zero, error matching [ErrClosed]).
//
// On a serial loop the calls run one at a time on the loop's goroutine, in
// input order, and [Prefetch] bounds only the read-ahead. Ranged from that
// goroutine itself, Map runs in lockstep, calling fn inline.
func Map[A, R any](ctx context.Context, l *Loop, in iter.Seq[A], fn func(context.Context, A) (R, error), opts ...SeqOption) iter.Seq2[R, error] {
	mustArgs("Map", ctx, fn == nil)
	if in == nil {
		panic("synchronicity.Map: nil input sequence")
	}
	return mapSeq("Map", ctx, l, in, fn, opts, nil)
}

// Map2 is [Map] for an input that can fail, such as the sequence that [Seq],
// [Stream.Seq] or another Map returns, so that they chain: the first error
// in yields stops the reading, the calls already started finish and their
// results are yielded, and the pair (zero, that error) ends the sequence.
func Map2[A, R any](ctx context.Context, l *Loop, in iter.Seq2[A, error], fn func(context.Context, A) (R, error), opts ...SeqOption) iter.Seq2[R, error] {
	mustArgs("Map2", ctx, fn == nil)
	if in == nil {
		panic("synchronicity.Map2: nil input sequence")
	}
	return func(yield func(R, error) bool) {
		// Map reads in from one goroutine at a time and waits for them all
		// before its range ends, so inErr is read after it was written.
		var inErr error
		values := func(yield func(A) bool) {
			for v, err := range in {
				if err != nil {
					inErr = err
					return
				}
				if !yield(v) {
					return
				}
			}
		}
		var last error
		for r, err := range mapSeq("Map2", ctx, l, values, fn, opts, nil) {
			if !yield(r, err) {
				return
			}
			last = err
		}
		// A run cut short by its context has said so; the input, cut short
		// by the same context, has nothing to add.
		if inErr != nil && !(isCancel(last) && isCancel(inErr)) {
			var zero R
			yield(zero, inErr)
		}
	}
}

// isCancel reports whether err says a context ended.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// mapSeq is Map for op; exited, if not nil, gives the result of an input whose
// call called runtime.Goexit, which otherwise is the zero R.
func mapSeq[A, R any](op string, ctx context.Context, l *Loop, in iter.Seq[A], fn func(context.Context, A) (R, error), opts []SeqOption, exited func(A) R) iter.Seq2[R, error] {
	c := configure(op, opts)
	return func(yield func(R, error) bool) {
		l := orDefault(l)
		n := c.prefetch
		switch {
		case n == 0:
			n = 1
		case n < 0 && l.limit > 0:
			n = l.limit
		case n < 0:
			n = runtime.GOMAXPROCS(0)
		}
		if !l.acquire() {
			var zero R
			yield(zero, l.closedError("Map"))
			return
		}
		defer l.release()
		var work inflight
		l.track(ctx, &work, viaMap, fn)
		defer l.untrack(&work)
		if trace.IsEnabled() {
			var tt *trace.Task
			ctx, tt = l.traceTask(ctx, &work)
			defer tt.End()
		}
		// The run's outcome, for Stats: its first error, or a panic (or
		// Goexit) if it does not return.
		var first error
		work.end = panicked // until it returns
		out := func(r R, err error) bool {
			if err != nil && first == nil {
				first = err
			}
			return yield(r, err)
		}
		tctx, cancel := l.bind(ctx)
		defer cancel(errStopped)
		if l.serial && l.onLoop() {
			mapInline(tctx, in, fn, out)
			work.end = outcomeOf(first, nil)
			return
		}
		m := &mapRun[A, R]{
			ctx: tctx, cancel: cancel, loop: l, fn: fn, in: in, n: uint64(n), cfg: c, exited: exited, keepCut: op == "MapIndexed",
			slots: make([]mapSlot[R], n), inputs: make([]mapInput[A], n),
			cwake: chanFor[struct{}](l, 1), rwake: chanFor[struct{}](l, 1),
		}
		m.consume(out)
		work.end = outcomeOf(first, nil)
	}
}

// mapInline is Map ranged from a serial loop's own goroutine: one call at a
// time, in lockstep with the loop body.
func mapInline[A, R any](ctx context.Context, in iter.Seq[A], fn func(context.Context, A) (R, error), yield func(R, error) bool) {
	for v := range in {
		if err := ctx.Err(); err != nil {
			var zero R
			yield(zero, explain(ctx, err))
			return
		}
		r, p, err := mapCall(ctx, fn, v)
		if p != nil {
			panic(p)
		}
		if !yield(r, explain(ctx, err)) {
			return
		}
	}
	if err := ctx.Err(); err != nil {
		var zero R
		yield(zero, explain(ctx, err))
	}
}

// mapCall calls fn, catching its panic.
func mapCall[A, R any](ctx context.Context, fn func(context.Context, A) (R, error), v A) (r R, p *PanicError, err error) {
	if trace.IsEnabled() {
		defer trace.StartRegion(ctx, "call").End()
	}
	defer func() {
		if x := recover(); x != nil {
			p = newPanicError(x)
		}
	}()
	r, err = fn(ctx, v)
	return r, nil, err
}

// Indexed is a result of [MapIndexed] beside the position of its input.
type Indexed[T any] struct {
	// Index is the position of the input in the input sequence, counting
	// from 0, or -1 for a pair that belongs to no input (the error of an
	// ended context or a closed loop).
	Index int
	// Value is what the call returned for that input.
	Value T
}

// MapIndexed is [Map] with each result beside the position of its input in
// in, for results that come out of order ([Unordered]) or errors that need
// to name their input. It takes the same options and behaves the same way,
// with one difference: when ctx ends or the loop closes, every input whose
// call was started still gets its pair, with what the call returned
// (usually ctx's error), before the last pair. So a call that hangs until a
// timeout is reported beside its index. Each pair carries the input's
// index, or -1 when it belongs to no input.
func MapIndexed[A, R any](ctx context.Context, l *Loop, in iter.Seq[A], fn func(context.Context, A) (R, error), opts ...SeqOption) iter.Seq2[Indexed[R], error] {
	mustArgs("MapIndexed", ctx, fn == nil)
	if in == nil {
		panic("synchronicity.MapIndexed: nil input sequence")
	}
	// Map reads its input from one goroutine at a time, so counting here
	// numbers the inputs in the order they are read. Indexes travel one up,
	// so that a zero pair, which Map yields for no input, reads as -1.
	numbered := func(yield func(Indexed[A]) bool) {
		i := 0
		for v := range in {
			i++
			if !yield(Indexed[A]{i, v}) {
				return
			}
		}
	}
	seq := mapSeq("MapIndexed", ctx, l, numbered, func(ctx context.Context, a Indexed[A]) (Indexed[R], error) {
		r, err := fn(ctx, a.Value)
		return Indexed[R]{a.Index, r}, err
	}, opts, func(a Indexed[A]) Indexed[R] { return Indexed[R]{Index: a.Index} })
	return func(yield func(Indexed[R], error) bool) {
		for r, err := range seq {
			r.Index--
			if !yield(r, err) {
				return
			}
		}
	}
}
