package synchronicity_test

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sy "github.com/synchronicity-go/synchronicity"
)

// collect ranges over seq and returns its values, stopping at the first
// error, which it returns with the values before it.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// race returns the outcome of the first of fs to settle.
func race[T any](ctx context.Context, fs ...*sy.Future[T]) (T, error) {
	for _, f := range sy.AsCompleted(ctx, fs...) {
		return f.Result()
	}
	var zero T
	return zero, ctx.Err()
}

// unwind unwinds s with err, not deferred, and returns the final error.
func unwind(ctx context.Context, s *sy.ExitStack, err error) error {
	s.Unwind(ctx, &err)
	return err
}

// loops returns one loop of each kind, closed when the test ends.
func loops(t *testing.T) map[string]*sy.Loop {
	t.Helper()
	ls := map[string]*sy.Loop{
		"concurrent": sy.New(),
		"limited":    sy.New(sy.Limit(2)),
		"serial":     sy.New(sy.Serial()),
		"locked":     sy.New(sy.LockOSThread()),
	}
	for _, l := range ls {
		t.Cleanup(func() { assert.NoError(t, l.Close()) })
	}
	return ls
}

// eachSerialLoop runs test in a subtest for each kind of loop that runs its
// work on one goroutine, with a new loop, closed when the subtest ends.
func eachSerialLoop(t *testing.T, test func(t *testing.T, l *sy.Loop)) {
	for name, opt := range map[string]sy.Option{"serial": sy.Serial(), "locked": sy.LockOSThread()} {
		t.Run(name, func(t *testing.T) {
			l := sy.New(opt)
			t.Cleanup(func() { assert.NoError(t, l.Close()) })
			test(t, l)
		})
	}
}

// catch runs fn and returns what it panicked with.
func recovered(fn func()) (r any) {
	defer func() { r = recover() }()
	fn()
	return nil
}

// goesOn asserts that a panic with v went on as it was raised, as a panic
// that crossed no goroutine does, and that exit saw it as a *PanicError
// carrying v, which it returns.
func goesOn(t *testing.T, r, v any, exit error) *sy.PanicError {
	t.Helper()
	assert.Equal(t, v, r, "the panic goes on with its own value")
	p, ok := exit.(*sy.PanicError)
	require.True(t, ok, "Exit saw %T %v, want *PanicError", exit, exit)
	assert.Equal(t, v, p.Value)
	return p
}

// panicValue asserts that r is a *PanicError carrying v and returns it.
func panicValue(t *testing.T, r any, v any) *sy.PanicError {
	t.Helper()
	p, ok := r.(*sy.PanicError)
	require.True(t, ok, "panicked with %T %v, want *PanicError", r, r)
	assert.Equal(t, v, p.Value)
	return p
}

var (
	errBody = errors.New("body failed")
	errExit = errors.New("exit failed")
	errOpen = errors.New("enter failed")
)

// waitingTasks starts n tasks that block until cancelled, and returns once
// they are all running. running counts those that have not returned.
func waitingTasks(l *sy.Loop, n int, running *atomic.Int64) []*sy.Future[int] {
	var started sync.WaitGroup
	started.Add(n)
	running.Add(int64(n))
	fs := make([]*sy.Future[int], n)
	for i := range fs {
		fs[i] = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
			defer running.Add(-1)
			started.Done()
			<-ctx.Done()
			return i, ctx.Err()
		})
	}
	started.Wait()
	return fs
}

// upTo is the sequence 0..n-1, counting the values it has handed out and
// whether its cleanup ran.
type upTo struct {
	n       int
	read    atomic.Int64
	cleaned atomic.Int64
}

func (u *upTo) seq(yield func(int) bool) {
	defer u.cleaned.Add(1)
	for i := range u.n {
		u.read.Add(1)
		if !yield(i) {
			return
		}
	}
}

// calls counts the calls of a map's function in flight, the most at once,
// and how many started and returned.
type calls struct {
	now, most, started, returned atomic.Int64
}

// enter counts a call in and returns how many are in now.
func (c *calls) enter() int64 {
	c.started.Add(1)
	n := c.now.Add(1)
	for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
	}
	return n
}

func (c *calls) exit() {
	c.now.Add(-1)
	c.returned.Add(1)
}

// yieldSome gives the other goroutines a chance to run, a few times.
func yieldSome(v int) {
	for range v % 4 {
		runtime.Gosched()
	}
}

func pairs[R any](seq iter.Seq2[R, error]) (vs []R, errs []error) {
	for v, err := range seq {
		vs, errs = append(vs, v), append(errs, err)
	}
	return vs, errs
}

// panicSink is a loop handler that keeps the panics it is given.
type panicSink struct {
	mu sync.Mutex
	ps []*sy.PanicError
}

func (s *panicSink) handle(p *sy.PanicError) { s.mu.Lock(); s.ps = append(s.ps, p); s.mu.Unlock() }

func (s *panicSink) values() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var vs []any
	for _, p := range s.ps {
		vs = append(vs, p.Value)
	}
	return vs
}

// mode is one way of running a producer: a kind of loop and the options.
type mode struct {
	name string
	loop *sy.Loop
	opts []sy.SeqOption
}

// modes returns every way of running a producer, on loops closed when the
// test ends.
func modes(t *testing.T) []mode {
	t.Helper()
	conc, serial, locked := sy.New(), sy.New(sy.Serial()), sy.New(sy.LockOSThread())
	for _, l := range []*sy.Loop{conc, serial, locked} {
		t.Cleanup(func() { assert.NoError(t, l.Close()) })
	}
	var ms []mode
	for _, l := range []struct {
		name string
		loop *sy.Loop
	}{{"concurrent", conc}, {"serial", serial}, {"locked", locked}} {
		ms = append(ms,
			mode{l.name + "/lockstep", l.loop, nil},
			mode{l.name + "/prefetch1", l.loop, []sy.SeqOption{sy.Prefetch(1)}},
			mode{l.name + "/prefetch4", l.loop, []sy.SeqOption{sy.Prefetch(4)}},
		)
	}
	return ms
}

// counter is a producer of 0..n-1 that fails with err at the end (if not
// nil) and counts its runs and cleanups.
type counter struct {
	n        int
	err      error
	produced atomic.Int64
	runs     atomic.Int64
	cleanups atomic.Int64
}

func (c *counter) produce(ctx context.Context, yield func(int) bool) error {
	c.runs.Add(1)
	defer c.cleanups.Add(1)
	for i := 0; i < c.n; i++ {
		c.produced.Add(1)
		if !yield(i) {
			return nil
		}
	}
	return c.err
}

// split ranges over seq to its end, putting values and errors apart.
func split[T any](seq func(func(T, error) bool)) (vs []T, errs []error) {
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		vs = append(vs, v)
	}
	return vs, errs
}

func seqInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// catchPanic runs f and returns the *PanicError it panicked with.
func catchPanic(t *testing.T, f func()) (pe *sy.PanicError) {
	t.Helper()
	defer func() {
		r := recover()
		var ok bool
		pe, ok = r.(*sy.PanicError)
		require.True(t, ok, "want a *PanicError panic, got %T: %v", r, r)
	}()
	f()
	return nil
}
