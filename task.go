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
// context package needs no goroutine to watch it.
type task struct {
	parent context.Context // values, deadline and cancellation
	loop   *Loop           // the loop, when parent is not under it already

	state    atomic.Uint32 // 1 once cancelled; err and cause are set before
	mu       sync.Mutex
	err      error
	byParent bool         // cancelled because a parent was
	done     atomic.Value // chan struct{}, made on the first Done
	hooks    []func() bool
	afters   map[*func()]struct{}
}

func (t *task) init(parent context.Context, l *Loop) {
	if p := l.under(parent); p != nil {
		t.parent = p
	} else {
		t.parent, t.loop = parent, l
	}
}

func (t *task) Deadline() (time.Time, bool) { return t.parent.Deadline() }

func (t *task) Err() error {
	if t.state.Load() != 0 {
		return t.err
	}
	if err := t.parent.Err(); err != nil {
		return err
	}
	if t.loop != nil {
		return t.loop.ctx.Err()
	}
	return nil
}

func (t *task) Value(key any) any {
	switch key {
	case cancelCtxKey:
		// context.Cause looks here: a task cancelled by itself has no
		// cause beyond its error; one cancelled by its loop or parent has
		// theirs.
		if t.state.Load() != 0 && !t.byParent {
			return nil
		}
		if t.loop != nil && t.parent.Err() == nil && t.loop.ctx.Err() != nil {
			return t.loop.ctx.Value(key) // as Err: the parent's end comes first
		}
	case loopKey{}:
		if t.loop != nil {
			return t.loop
		}
	}
	return t.parent.Value(key)
}

func (t *task) Done() <-chan struct{} {
	if d := t.done.Load(); d != nil {
		return d.(chan struct{})
	}
	t.mu.Lock()
	d, _ := t.done.Load().(chan struct{})
	if d == nil {
		d = make(chan struct{})
		if t.state.Load() != 0 {
			close(d)
		} else {
			t.hook(t.parent)
			if t.loop != nil {
				t.hook(t.loop.ctx)
			}
		}
		t.done.Store(d)
	}
	t.mu.Unlock()
	if t.state.Load() == 0 && t.Err() != nil {
		t.propagate() // a parent ended before the hooks were in place
	}
	return d
}

// hook has parent's end cancel t. Called with t.mu held.
func (t *task) hook(parent context.Context) {
	if parent.Done() != nil {
		t.hooks = append(t.hooks, context.AfterFunc(parent, t.propagate))
	}
}

// propagate cancels t because a parent is done.
func (t *task) propagate() {
	err := t.parent.Err()
	if err == nil && t.loop != nil {
		err = t.loop.ctx.Err()
	}
	if err != nil {
		t.cancel(err, true)
	}
}

// cancel ends t, its Done channel and what was registered with AfterFunc,
// and lets go of its parents. Only the first call counts.
func (t *task) cancel(err error, byParent bool) {
	t.mu.Lock()
	if t.state.Load() != 0 {
		t.mu.Unlock()
		return
	}
	t.err, t.byParent = err, byParent
	t.state.Store(1)
	d, _ := t.done.Load().(chan struct{})
	hooks, afters := t.hooks, t.afters
	t.hooks, t.afters = nil, nil
	t.mu.Unlock()
	if d != nil {
		close(d)
	}
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
	if t.state.Load() != 0 {
		t.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	if t.afters == nil {
		t.afters = make(map[*func()]struct{})
	}
	t.afters[key] = struct{}{}
	t.mu.Unlock()
	t.Done() // t must now hear of its parents' end
	return func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		_, ok := t.afters[key]
		delete(t.afters, key)
		return ok
	}
}

// cancelCtxKey is the context package's private key for finding a
// cancelCtx, which context.Cause passes to Value. A probe context records
// it, so that a task can answer Cause correctly.
var cancelCtxKey = func() (key any) {
	context.Cause(keyProbe{context.Background(), func(k any) {
		if key == nil {
			key = k
		}
	}})
	return key
}()

type keyProbe struct {
	context.Context
	seen func(any)
}

func (keyProbe) Err() error { return context.Canceled } // since Go 1.26 Cause looks up the key only for an ended context

func (p keyProbe) Value(key any) any {
	p.seen(key)
	return nil
}
