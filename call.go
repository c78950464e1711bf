package synchronicity

import (
	"context"
	"runtime/pprof"
	"sync"
)

// Call runs fn as a task of loop l and returns its result: the blocking form.
//
// On a concurrent loop fn runs on the caller's goroutine (after waiting for a
// turn under [Limit]); on a serial loop it runs on the loop's goroutine, or
// inline when Call is made from that goroutine. Either way fn's context is
// done when ctx is done or the loop closes, and Call returns only once fn
// has returned: no goroutine outlives it, and fn's context is cancelled
// when Call returns, so nothing fn registered with it (AfterFuncs, child
// contexts) outlives the call either. If ctx is already done when fn's turn
// comes, fn is not called and Call returns ctx's error.
//
// A panic in fn re-panics in the caller as a *[PanicError] carrying fn's
// stack. On a closed loop Call returns an error matching [ErrClosed].
func Call[T any](ctx context.Context, l *Loop, fn func(context.Context) (T, error)) (T, error) {
	mustArgs("Call", ctx, fn == nil)
	l = orDefault(l)
	if !l.acquire() {
		var zero T
		return zero, l.closedError("Call")
	}
	if l.serial && !l.onLoop() {
		return callSerial(l, ctx, fn)
	}
	return callHere(l, ctx, fn)
}

// callHere runs fn on the calling goroutine as a task of l, which the
// caller has counted in. It has one return, so that the compiler
// open-codes its defers: with more, each costs a call into the runtime.
func callHere[T any](l *Loop, ctx context.Context, fn func(context.Context) (T, error)) (v T, err error) {
	defer l.release()
	t := l.callCtx(ctx)
	defer t.cancel()
	l.track(ctx, &t.work, viaCall, fn)
	defer l.untrack(&t.work)
	var p *PanicError
	if s := l.lentTo(); s != nil {
		v, p, err = callStandIn(s, l, t, fn)
	} else {
		l.wearLabels()
		v, p, err = runTask(l, t, fn)
		pprof.SetGoroutineLabels(ctx) // runTask returns even if fn panics
	}
	if p != nil {
		panic(p)
	}
	return v, err
}

// callCtx returns the context for a blocking call's fn: a task of its own,
// fresh each time (fn may keep its context, which must not come back to
// life), for the caller to cancel once fn has returned. It is never the
// loop's context itself, or what fn registers there would pile up until
// Close.
func (l *Loop) callCtx(ctx context.Context) *task {
	t := &task{}
	t.init(ctx, l)
	return t
}

// callSerial runs fn on a serial loop's goroutine and waits for it. The
// caller has counted the task in.
func callSerial[T any](l *Loop, ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	// Counted out here, not by the loop's goroutine once fn has run: that
	// goroutine is what every caller waits for, and the count's cache line
	// is what every caller writes.
	defer l.release()
	pool := callPool[T](l)
	c := pool.Get().(*serialCall[T])
	c.loop, c.fn, c.err = l, fn, errGoexit
	t := l.callCtx(ctx)
	defer t.cancel()
	l.track(ctx, &t.work, viaCall, fn)
	defer l.untrack(&t.work)
	c.ctx = t
	l.submit(c)
	c.reply.wait(l)
	v, err, p := c.v, c.err, c.p
	var zero T
	c.loop, c.ctx, c.fn, c.v, c.err, c.p = nil, nil, nil, zero, nil, nil // empty again, so reusable
	c.reply.reset()
	pool.Put(c)
	if p != nil {
		panic(p)
	}
	return v, err
}

// serialCall is a blocking call's job on a serial loop. The caller waits
// for it, so it can be reused: one pool of them per result type.
type serialCall[T any] struct {
	q     jobLink
	loop  *Loop
	ctx   *task
	fn    func(context.Context) (T, error)
	v     T
	err   error // errGoexit stays if fn calls runtime.Goexit
	p     *PanicError
	reply reply
}

// callPool returns l's pool of serialCall[T]. A loop has a pool for each T
// in callPools, keyed by a nil *serialCall[T], since Go has no
// per-instantiation variables, and remembers the last one it handed out:
// most loops are called with one result type, and a hit saves hashing the
// key. The pools are the loop's, not the process's: a record's channel made
// inside a testing/synctest bubble must not reach a call outside it.
func callPool[T any](l *Loop) *sync.Pool {
	key := any((*serialCall[T])(nil))
	if last := l.lastPool.Load(); last != nil && last.key == key {
		return &last.Pool
	}
	p, ok := l.callPools.Load(key)
	if !ok {
		p, _ = l.callPools.LoadOrStore(key, &typedPool{key: key, Pool: sync.Pool{New: func() any {
			return &serialCall[T]{reply: reply{done: chanFor[struct{}](l, 1)}}
		}}})
	}
	l.lastPool.Store(p.(*typedPool))
	return &p.(*typedPool).Pool
}

// typedPool is a loop's pool of serialCall records of one result type, with
// its key in callPools.
type typedPool struct {
	key any
	sync.Pool
}

func (c *serialCall[T]) run()               { c.v, c.p, c.err = runTask(c.loop, c.ctx, c.fn) }
func (c *serialCall[T]) working() *inflight { return &c.ctx.work }
func (c *serialCall[T]) link() *jobLink     { return &c.q }

func (c *serialCall[T]) finish() { c.reply.ready() }
