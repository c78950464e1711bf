package synchronicity

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// task is the context of one call or future: done when its parent is done,
// when its loop closes, or when it is cancelled itself.
//
// It lives inside the Future, so starting a task allocates no context, and
// it does its work lazily: until someone asks for Done, it has no channel
// and no registration with its parents, and Err asks the parents directly.
// Contexts derived from it register through its AfterFunc method, so the
// context package needs no goroutine to watch it. It is kept small, since a
// fan-out makes one per task: what waiting needs is in a watch made on
// demand.
type task struct {
	parent context.Context // values, deadline and cancellation
	loop   *Loop           // the loop the task belongs to
	state  atomic.Uint32   // live, or which end came first; and watchedBit
	apart  bool            // parent is not under loop: the loop's end is heard of separately
	mu     sync.Mutex      // orders cancel with making the watch
	w      atomic.Pointer[watch]
	work   inflight // in the loop's list of work in flight

	cancelPlain context.CancelCauseFunc // ends parent, with plainContexts only
}

// A task's state: live, or ended by whom. An ended task's error is the
// one its ender had.
const (
	live uint32 = iota
	endedSelf
	endedStopped // by itself, with cause errStopped
	endedParent
	endedLoop
)

// watchedBit is set in a task's state, under mu, once it has a watch made
// while it was live: from then on it ends under mu, which closes the
// watch's Done. A task nobody watches ends with one compare-and-swap.
const watchedBit uint32 = 1 << 31

// watch is a task's part for those who wait for it.
type watch struct {
	done   chan struct{}
	hooks  []func() bool        // stop the parents' AfterFuncs
	afters map[*func()]struct{} // AfterFuncs registered on the task
}

func (t *task) init(parent context.Context, l *Loop) {
	t.loop = l
	if plainContexts {
		t.parent, t.cancelPlain = l.plain(parent)
		return
	}
	if p := l.under(parent); p != nil {
		t.parent = p
	} else {
		if l.foreign() {
			parent = l.relay(parent) // see bubbles.go
		}
		t.parent, t.apart = parent, true
	}
}

func (t *task) Deadline() (time.Time, bool) { return t.parent.Deadline() }

func (t *task) Err() error {
	switch t.ended() {
	case endedSelf, endedStopped:
		return context.Canceled
	case endedParent:
		return t.parent.Err()
	case endedLoop:
		return t.loop.ctx.Err()
	}
	return nil
}

// ended returns how t ended, or live. The first end it sees is latched, as
// a done context never changes its Err or Cause: a task its loop ended
// stays so when its parent's deadline passes later.
func (t *task) ended() uint32 {
	if s := t.how(); s != live {
		if t.w.Load() != nil {
			// An ender may be between setting the state and closing Done,
			// which it does under mu: wait for it, so that a caller told
			// the task has ended (Err) finds Done closed too.
			t.mu.Lock()
			//lint:ignore SA2001 the empty critical section is the wait
			t.mu.Unlock()
		}
		return s
	}
	switch {
	case t.parent.Err() != nil:
		t.end(endedParent)
	case t.apart && t.loop.ctx.Err() != nil:
		t.end(endedLoop)
	default:
		return live
	}
	return t.how()
}

func (t *task) Value(key any) any {
	switch key {
	case cancelCtxKey:
		// context.Cause looks here: a task cancelled by itself has no
		// cause beyond its error; one ended by its loop or parent has
		// theirs, whichever Err reports.
		switch t.ended() {
		case endedSelf:
			return nil
		case endedStopped:
			return stopped.Value(key)
		case endedLoop:
			return t.loop.ctx.Value(key)
		}
	case loopKey{}:
		if t.apart {
			return t.loop
		}
	case labelKey:
		if t.apart {
			return t.loop.labelsOver(t.parent)
		}
	}
	return t.parent.Value(key)
}

func (t *task) Done() <-chan struct{} {
	if w := t.w.Load(); w != nil {
		return w.done
	}
	t.mu.Lock()
	w := t.watching()
	t.mu.Unlock()
	t.ended() // a parent may have ended before the hooks were in place
	return w.done
}

// watching returns t's watch, making it on first use: from then on t hears
// of its parents' end. Called with t.mu held.
func (t *task) watching() *watch {
	w := t.w.Load()
	if w != nil {
		return w
	}
	w = &watch{done: make(chan struct{})}
	if t.watch() {
		w.hook(t.parent, t.propagate)
		if t.apart {
			w.hook(t.loop.ctx, t.propagate)
		}
	} else {
		close(w.done)
	}
	t.w.Store(w)
	return w
}

// how returns how t ended, or live, without watchedBit.
func (t *task) how() uint32 { return t.state.Load() &^ watchedBit }

// live reports whether t has not ended.
func (t *task) live() bool { return t.how() == live }

// watch sets watchedBit if t is live, and reports whether it was. Called
// with t.mu held.
func (t *task) watch() bool {
	for {
		s := t.state.Load()
		if s&^watchedBit != live {
			return false
		}
		if t.state.CompareAndSwap(s, s|watchedBit) {
			return true
		}
	}
}

// hook has parent's end call f.
func (w *watch) hook(parent context.Context, f func()) {
	if parent.Done() != nil {
		w.hooks = append(w.hooks, context.AfterFunc(parent, f))
	}
}

// propagate ends t because a parent is done.
func (t *task) propagate() { t.ended() }

// cancel ends t by itself, with context.Canceled.
func (t *task) cancel() { t.end(endedSelf) }

// stop ends t by itself, with context.Canceled and the cause errStopped:
// its consumer has stopped.
func (t *task) stop() { t.end(endedStopped) }

// stopped is a context cancelled with the cause errStopped, for a stopped
// task to answer context.Cause with. Its Done channel is the context
// package's own closed one, made before any testing/synctest bubble.
var stopped = func() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errStopped)
	return ctx
}()

// end ends t, its Done channel and what was registered with AfterFunc, and
// lets go of its parents. Only the first call counts.
func (t *task) end(how uint32) {
	if t.cancelPlain != nil {
		// First, so that Cause never finds the task ended and its plain
		// parent not; a parent ended already keeps its cause.
		var cause error
		if how == endedStopped {
			cause = errStopped
		}
		t.cancelPlain(cause)
	}
	if t.state.CompareAndSwap(live, how) {
		return // unwatched: no Done to close, nothing registered
	}
	t.mu.Lock()
	if t.state.Load() != live|watchedBit {
		t.mu.Unlock()
		return // ended already
	}
	t.state.Store(how | watchedBit)
	w := t.w.Load()
	hooks, afters := w.hooks, w.afters
	w.hooks, w.afters = nil, nil
	close(w.done) // under mu: see ended
	t.mu.Unlock()
	for _, stop := range hooks {
		stop()
	}
	for f := range afters {
		go (*f)()
	}
}

// AfterFunc arranges for f to run in its own goroutine once t is done, as
// context.AfterFunc does; the context package uses it for contexts derived
// from t.
func (t *task) AfterFunc(f func()) (stop func() bool) {
	key := &f
	t.mu.Lock()
	var w *watch
	if t.live() {
		w = t.watching()
	}
	// Ended before, or just now by an end that found it unwatched. Once
	// watched, a task ends under mu, and so after this unlock.
	if !t.live() {
		t.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	if w.afters == nil {
		w.afters = make(map[*func()]struct{})
	}
	w.afters[key] = struct{}{}
	t.mu.Unlock()
	t.ended() // a parent may have ended before the hooks were in place
	return func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		_, ok := w.afters[key]
		delete(w.afters, key)
		return ok
	}
}

// under returns a context with ctx's values that is done when ctx is done or
// the loop closes, if that takes no more than a wrapper: ctx never ends by
// itself. Otherwise it returns nil. (A context that merely carries the
// loop's values, as context.WithoutCancel's do, is not under the loop.)
func (l *Loop) under(ctx context.Context) context.Context {
	switch {
	case ctx == context.Background() || ctx == context.TODO():
		return l.ctx
	case ctx.Done() == nil:
		return withLoop{l.ctx, ctx}
	}
	return nil
}

// bind returns the context for one task started from parent: it keeps
// parent's values and is done when parent is done, the loop closes, or the
// returned function is called.
func (l *Loop) bind(parent context.Context) (ctx context.Context, cancel context.CancelCauseFunc) {
	if !l.foreign() {
		return l.bindHere(parent)
	}
	// Made by the loop's goroutine, which runs the work, with its channel.
	parent = l.relay(parent)
	l.outside(func() {
		ctx, cancel = l.bindHere(parent)
		ctx.Done()
	})
	return ctx, cancel
}

func (l *Loop) bindHere(parent context.Context) (context.Context, context.CancelCauseFunc) {
	if p := l.under(parent); p != nil {
		return context.WithCancelCause(p)
	}
	ctx, cancel := context.WithCancelCause(parent)
	stop := context.AfterFunc(l.ctx, func() { cancel(context.Cause(l.ctx)) })
	return ctx, func(err error) { stop(); cancel(err) }
}
