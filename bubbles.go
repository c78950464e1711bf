package synchronicity

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A serial loop's goroutine belongs to the testing/synctest bubble the loop
// was made in, or to none. It must never send on or close a channel made in
// a bubble it is not in: that is a fatal error, which no recover catches.
// So a caller inside a bubble that the loop is not in has the loop's
// goroutine make the channels that goroutine will complete. The caller's
// waits on them are then not durably blocking, as testing/synctest says of
// any channel made outside the bubble: the bubble's clock stands still
// while it waits for the loop, as it would behind a mutex.
//
// Time in a bubble starts at midnight UTC on 2000-01-01, as testing/synctest
// documents, so a caller whose clock reads earlier than the moment the loop
// was made is in a bubble the loop is not in. Bubbles cannot be told apart
// from one another this way: a serial loop made in one bubble serves that
// bubble only, as its goroutine ends with it.

// foreign reports whether the caller is in a bubble that serial loop l's
// goroutine is not in.
func (l *Loop) foreign() bool {
	return l != nil && l.serial && time.Now().UnixNano() < l.born
}

// chanFor returns a new channel of the given size that loop l's goroutine
// may complete: one made by that goroutine when the caller is foreign to
// it.
func chanFor[T any](l *Loop, size int) chan T {
	if !l.foreign() {
		return make(chan T, size)
	}
	var ch chan T
	l.outside(func() { ch = make(chan T, size) })
	return ch
}

// outside runs fn on serial loop l's goroutine and waits for it. The wait
// is a mutex's, which any goroutine may release, in a bubble or not. It
// counts itself in, even on a closed loop, so that the goroutine serves
// until fn has run; once the loop has drained, the goroutine is gone, will
// complete nothing, and fn runs here.
func (l *Loop) outside(fn func()) {
	if l.state.Add(1)&drainedBit != 0 {
		l.state.Add(-1)
		fn()
		return
	}
	defer l.release()
	var mu sync.Mutex
	mu.Lock()
	l.enqueue(func() {
		defer mu.Unlock()
		fn()
	})
	mu.Lock()
}

// wakeFor returns a new channel for a combinator's waiter that the
// goroutines of the futures' loops may complete. (A nil future is left
// for subscribe to name.)
func wakeFor[E, T any](fs []*Future[T], size int) chan E {
	var last *Loop
	for _, f := range fs {
		if f == nil || f.ctx.loop == last || f.state.Load() == settled {
			continue
		}
		if last = f.ctx.loop; last.foreign() {
			return chanFor[E](last, size)
		}
	}
	return make(chan E, size)
}

// relay returns, for a caller foreign to serial loop l, a context to stand
// for parent in work that l's goroutine runs: it has parent's values,
// deadline, error and cause, but channels made outside the bubble, which
// that goroutine may receive from. parent's own (made in the bubble) it
// must not touch, not even to ask Err once parent has ended. Parent's end
// reaches the relay through context.AfterFunc, whose function runs in the
// bubble, where closing the relay's channel is allowed.
func (l *Loop) relay(parent context.Context) context.Context {
	if parent.Done() == nil {
		return parent // never ends, and has no channel
	}
	r := &relayCtx{parent: parent}
	l.outside(func() {
		r.Context, r.cancel = context.WithCancelCause(context.WithoutCancel(parent))
		r.Context.Done() // made here, outside the bubble
	})
	context.AfterFunc(parent, func() {
		r.err.Store(errBox{parent.Err()})
		r.cancel(context.Cause(parent))
	})
	return r
}

type relayCtx struct {
	context.Context // values from parent, cancellation from the relay
	parent          context.Context
	cancel          context.CancelCauseFunc
	err             atomic.Value // errBox: parent's error, once it ended
}

type errBox struct{ error }

func (r *relayCtx) Deadline() (time.Time, bool) { return r.parent.Deadline() }

func (r *relayCtx) Err() error {
	if r.Context.Err() == nil {
		return nil
	}
	return r.err.Load().(errBox).error
}
