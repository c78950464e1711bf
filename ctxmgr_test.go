package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// probe is a manager that counts its calls and records what Exit saw.
type probe struct {
	name     string
	enterErr error
	exit     func(error) error // what Exit returns for what it saw; nil passes it on
	log      *[]string         // shared by several probes, for order

	mu      sync.Mutex
	entered int
	seen    []error // one per Exit
}

func (p *probe) Enter(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entered++
	if p.log != nil {
		*p.log = append(*p.log, "enter "+p.name)
	}
	if p.enterErr != nil {
		return "", p.enterErr
	}
	return "value of " + p.name, nil
}

func (p *probe) Exit(ctx context.Context, err error) error {
	p.mu.Lock()
	p.seen = append(p.seen, err)
	if p.log != nil {
		*p.log = append(*p.log, "exit "+p.name)
	}
	p.mu.Unlock()
	if p.exit != nil {
		return p.exit(err)
	}
	return err
}

func (p *probe) exits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
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

// useEnter is the documented pattern: Enter, then defer exit(&err).
func useEnter[T any](ctx context.Context, cm sy.ContextManager[T], body func(T) error) (err error) {
	v, exit, err := sy.Enter(ctx, cm)
	if err != nil {
		return err
	}
	defer exit(&err)
	return body(v)
}

func TestEnterPassesBodyErrorToExit(t *testing.T) {
	ctx := context.Background()
	t.Run("passed on", func(t *testing.T) {
		p := &probe{}
		var got string
		err := useEnter(ctx, p, func(v string) error { got = v; return errBody })
		assert.ErrorIs(t, err, errBody)
		assert.Equal(t, "value of ", got)
		assert.Equal(t, []error{errBody}, p.seen)
	})
	t.Run("replaced", func(t *testing.T) {
		p := &probe{exit: func(error) error { return errExit }}
		err := useEnter(ctx, p, func(string) error { return errBody })
		assert.Equal(t, errExit, err)
		assert.Equal(t, []error{errBody}, p.seen)
	})
	t.Run("suppressed", func(t *testing.T) {
		p := &probe{exit: func(error) error { return nil }}
		err := useEnter(ctx, p, func(string) error { return errBody })
		assert.NoError(t, err)
		assert.Equal(t, 1, p.exits())
	})
	t.Run("success", func(t *testing.T) {
		p := &probe{}
		assert.NoError(t, useEnter(ctx, p, func(string) error { return nil }))
		assert.Equal(t, []error{nil}, p.seen)
	})
}

func TestEnterFailureSkipsExit(t *testing.T) {
	p := &probe{enterErr: errOpen}
	v, exit, err := sy.Enter(context.Background(), p)
	assert.ErrorIs(t, err, errOpen)
	assert.Zero(t, v)
	require.NotNil(t, exit)
	err = errBody
	exit(&err) // does nothing
	assert.Equal(t, errBody, err)
	assert.Equal(t, 1, p.entered)
	assert.Zero(t, p.exits())
}

func TestEnterBodyPanicReachesExit(t *testing.T) {
	p := &probe{exit: func(error) error { return nil }} // cannot suppress a panic
	r := recovered(func() {
		_ = useEnter(context.Background(), p, func(string) error { panic("boom") })
	})
	require.Len(t, p.seen, 1)
	pe := goesOn(t, r, "boom", p.seen[0])
	assert.Contains(t, string(pe.Stack), "TestEnterBodyPanicReachesExit", "the stack is the body's")
}

func TestEnterExitPanics(t *testing.T) {
	p := &probe{exit: func(error) error { panic("exit boom") }}
	r := recovered(func() { _ = useEnter(context.Background(), p, func(string) error { return errBody }) })
	assert.Equal(t, "exit boom", r)
	assert.Equal(t, []error{errBody}, p.seen)

	// A panic in Exit while the body panics goes on instead of the body's.
	p = &probe{exit: func(error) error { panic("exit boom") }}
	r = recovered(func() { _ = useEnter(context.Background(), p, func(string) error { panic("boom") }) })
	assert.Equal(t, "exit boom", r)
	require.Len(t, p.seen, 1)
	panicValue(t, p.seen[0], "boom")
}

func TestEnterExitIdempotent(t *testing.T) {
	p := &probe{exit: func(error) error { return errExit }}
	_, exit, err := sy.Enter(context.Background(), p)
	require.NoError(t, err)
	exit(&err)
	assert.Equal(t, errExit, err)
	err = errBody
	exit(&err)
	assert.Equal(t, errBody, err, "a second call leaves err alone")
	assert.Equal(t, 1, p.exits())

	// A second exit deferred during a panic lets the panic go on.
	p = &probe{}
	r := recovered(func() {
		_, exit, _ := sy.Enter(context.Background(), p)
		defer exit(nil)
		defer exit(nil)
		panic("boom")
	})
	require.Len(t, p.seen, 1)
	goesOn(t, r, "boom", p.seen[0])
}

func TestEnterNilErrorPointer(t *testing.T) {
	p := &probe{exit: func(error) error { return errExit }}
	func() {
		_, exit, err := sy.Enter(context.Background(), p)
		require.NoError(t, err)
		defer exit(nil) // Exit's error is dropped, as with defer f.Close()
	}()
	assert.Equal(t, []error{nil}, p.seen)

	p = &probe{}
	r := recovered(func() {
		_, exit, _ := sy.Enter(context.Background(), p)
		defer exit(nil)
		panic("boom")
	})
	require.Len(t, p.seen, 1)
	goesOn(t, r, "boom", p.seen[0])
}

func TestContextManagerMisuse(t *testing.T) {
	ctx := context.Background()
	var nilCtx context.Context
	p := &probe{}
	for _, c := range []struct {
		msg string
		fn  func()
	}{
		{"synchronicity.Enter: nil context", func() { sy.Enter(nilCtx, p) }},
		{"synchronicity.Enter: nil ContextManager", func() { sy.Enter[int](ctx, nil) }},
		{"synchronicity.Do: nil body", func() { sy.Do(ctx, p, nil) }},
		{"synchronicity.Do: nil ContextManager", func() { sy.Do[int](ctx, nil, func(int) error { return nil }) }},
		{"synchronicity.Scoped: nil function", func() { sy.Scoped[int](nil) }},
		{"synchronicity.OnLoop: nil ContextManager", func() { sy.OnLoop[int](nil, nil) }},
		{"synchronicity.Push: nil ContextManager", func() { sy.Push[int](ctx, new(sy.ExitStack), nil) }},
		{"synchronicity.Push: nil *ExitStack", func() { sy.Push(ctx, nil, p) }},
		{"synchronicity.ExitStack.Defer: nil function", func() { new(sy.ExitStack).Defer(nil) }},
		{"synchronicity.Closing: nil function", func() { sy.Closing[*file](nil) }},
	} {
		r := recovered(c.fn)
		require.NotNil(t, r, c.msg)
		assert.Contains(t, fmt.Sprint(r), c.msg)
	}
	assert.Zero(t, p.entered)
}

// Calling a Scoped manager's methods directly allows one use at a time;
// the package's functions give each use its own run.
func TestScopedMethodsOneUseAtATime(t *testing.T) {
	ctx := context.Background()
	runs := 0
	cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
		runs++
		return yield(runs)
	})
	v, err := cm.Enter(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	r := recovered(func() { cm.Enter(ctx) })
	assert.Contains(t, fmt.Sprint(r), "synchronicity.Scoped: Enter called again before Exit")
	assert.Equal(t, errBody, cm.Exit(ctx, errBody))
	r = recovered(func() { cm.Exit(ctx, nil) })
	assert.Contains(t, fmt.Sprint(r), "synchronicity.Scoped: Exit called without a successful Enter")

	// Reusable after Exit, and after an Enter that panicked.
	v, err = cm.Enter(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	assert.NoError(t, cm.Exit(ctx, nil))
	bad := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
		if runs++; runs == 3 {
			panic("boom")
		}
		return yield(runs)
	})
	panicValue(t, recovered(func() { bad.Enter(ctx) }), "boom")
	v, err = bad.Enter(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, v)
	assert.NoError(t, bad.Exit(ctx, nil))
}

func TestDo(t *testing.T) {
	ctx := context.Background()
	p := &probe{exit: func(err error) error { return errors.Join(err, errExit) }}
	var got string
	err := sy.Do(ctx, p, func(v string) error { got = v; return errBody })
	assert.ErrorIs(t, err, errBody)
	assert.ErrorIs(t, err, errExit)
	assert.Equal(t, "value of ", got)
	assert.Equal(t, []error{errBody}, p.seen)

	p = &probe{enterErr: errOpen}
	called := false
	assert.Equal(t, errOpen, sy.Do(ctx, p, func(string) error { called = true; return nil }))
	assert.False(t, called)
	assert.Zero(t, p.exits())

	p = &probe{}
	r := recovered(func() { _ = sy.Do(ctx, p, func(string) error { panic("boom") }) })
	require.Len(t, p.seen, 1)
	goesOn(t, r, "boom", p.seen[0])
}

// A body that calls runtime.Goexit (as t.FailNow does) still runs Exit, which
// can tell it from success.
func TestDoGoexit(t *testing.T) {
	p := &probe{}
	inGoroutine(func() {
		_ = sy.Do(context.Background(), p, func(string) error {
			runtime.Goexit()
			return nil
		})
	})
	require.Len(t, p.seen, 1)
	assert.ErrorContains(t, p.seen[0], "Goexit")
}

// inGoroutine runs fn in a goroutine of its own, which fn may end with
// runtime.Goexit, and waits for it.
func inGoroutine(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// slowEnter is a manager whose Enter waits until ctx ends (after telling
// started), like a dial that never connects.
type slowEnter struct {
	started chan struct{}
	exits   atomic.Int32
}

func (s *slowEnter) Enter(ctx context.Context) (int, error) {
	close(s.started)
	<-ctx.Done()
	return 0, context.Cause(ctx)
}

func (s *slowEnter) Exit(ctx context.Context, err error) error {
	s.exits.Add(1)
	return err
}

func TestEnterCancelledWhileSlow(t *testing.T) {
	cases := map[string]func(*sy.Loop, sy.ContextManager[int]) sy.ContextManager[int]{
		"direct": func(_ *sy.Loop, cm sy.ContextManager[int]) sy.ContextManager[int] { return cm },
		"OnLoop": sy.OnLoop[int],
	}
	for name, wrap := range cases {
		for lname, l := range loops(t) {
			t.Run(name+"/"+lname, func(t *testing.T) {
				s := &slowEnter{started: make(chan struct{})}
				ctx, cancel := context.WithCancelCause(context.Background())
				go func() {
					<-s.started
					cancel(errBody)
				}()
				_, exit, err := sy.Enter(ctx, wrap(l, s))
				assert.ErrorIs(t, err, errBody)
				exit(nil)
				assert.Zero(t, s.exits.Load())
			})
		}
	}
}

// usePush is useEnter through an ExitStack.
func usePush[T any](ctx context.Context, cm sy.ContextManager[T], body func(T) error) (err error) {
	var stack sy.ExitStack
	defer stack.Unwind(ctx, &err)
	v, err := sy.Push(ctx, &stack, cm)
	if err != nil {
		return err
	}
	return body(v)
}

// uses are the ways to use a manager with a body: a Scoped manager runs
// on a goroutine of its own under Enter and Push, and directly under Do.
var uses = map[string]func(context.Context, sy.ContextManager[int], func(int) error) error{
	"Enter": useEnter[int],
	"Push":  usePush[int],
	"Do":    sy.Do[int],
}

func TestScoped(t *testing.T) {
	ctx := context.Background()
	for name, use := range uses {
		t.Run(name, func(t *testing.T) { testScoped(t, ctx, use, name == "Enter" || name == "Push") })
	}
}

// fnPanic asserts how a panic with v in a Scoped function came out: as a
// *PanicError if fn ran on a goroutine of its own, and as it was raised if
// fn ran on the caller's goroutine.
func fnPanic(t *testing.T, r, v any, ownGoroutine bool) {
	t.Helper()
	if ownGoroutine {
		pe := panicValue(t, r, v)
		assert.Contains(t, string(pe.Stack), "testScoped", "the stack is fn's")
		return
	}
	assert.Equal(t, v, r, "the panic goes on with its own value")
}

func testScoped(t *testing.T, ctx context.Context, use func(context.Context, sy.ContextManager[int], func(int) error) error, ownGoroutine bool) {
	t.Run("body error reaches fn", func(t *testing.T) {
		var setups, teardowns int
		var seen []error
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			setups++
			defer func() { teardowns++ }()
			err := yield(42)
			seen = append(seen, err)
			return err
		})
		var got int
		assert.Equal(t, errBody, use(ctx, cm, func(v int) error {
			got = v
			assert.Equal(t, 1, setups)
			assert.Zero(t, teardowns, "fn is parked at yield during the body")
			return errBody
		}))
		assert.Equal(t, 42, got)
		assert.NoError(t, use(ctx, cm, func(int) error { return nil }))
		assert.Equal(t, 2, setups)
		assert.Equal(t, 2, teardowns)
		assert.Equal(t, []error{errBody, nil}, seen)
	})
	t.Run("fn replaces and suppresses", func(t *testing.T) {
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			if err := yield(1); errors.Is(err, errBody) {
				return nil
			}
			return errExit
		})
		assert.Equal(t, errExit, use(ctx, cm, func(int) error { return nil }))
		assert.NoError(t, use(ctx, cm, func(int) error { return errBody }))
	})
	t.Run("never yields", func(t *testing.T) {
		cleanups := 0
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			defer func() { cleanups++ }()
			return nil
		})
		called := false
		err := use(ctx, cm, func(int) error { called = true; return nil })
		assert.ErrorContains(t, err, "synchronicity.Scoped: function returned without calling yield")
		assert.False(t, called)
		assert.Equal(t, 1, cleanups)

		// An error before yield is Enter's error.
		cm = sy.Scoped(func(ctx context.Context, yield func(int) error) error { return errOpen })
		assert.Equal(t, errOpen, use(ctx, cm, func(int) error { called = true; return nil }))
		assert.False(t, called)
	})
	t.Run("yields twice", func(t *testing.T) {
		var second error
		cleanups := 0
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			defer func() { cleanups++ }()
			yield(1)
			second = yield(2)
			return nil // ignores the misuse: it is reported anyway
		})
		bodies := 0
		err := use(ctx, cm, func(int) error { bodies++; return nil })
		assert.ErrorContains(t, err, "synchronicity.Scoped: function called yield more than once")
		assert.ErrorContains(t, second, "synchronicity.Scoped: function called yield more than once")
		assert.Equal(t, 1, bodies)
		assert.Equal(t, 1, cleanups)
	})
	t.Run("panics before yield", func(t *testing.T) {
		cleanups := 0
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			defer func() { cleanups++ }()
			panic("setup boom")
		})
		called := false
		r := recovered(func() { _ = use(ctx, cm, func(int) error { called = true; return nil }) })
		fnPanic(t, r, "setup boom", ownGoroutine)
		assert.False(t, called)
		assert.Equal(t, 1, cleanups)
	})
	t.Run("panics after yield", func(t *testing.T) {
		var seen error
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			seen = yield(1)
			panic("teardown boom")
		})
		r := recovered(func() { _ = use(ctx, cm, func(int) error { return errBody }) })
		fnPanic(t, r, "teardown boom", ownGoroutine)
		assert.Equal(t, errBody, seen)
	})
	t.Run("body panic reaches fn", func(t *testing.T) {
		var seen error
		cleanups := 0
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			seen = yield(1)
			cleanups++
			return nil // cannot suppress a panic
		})
		r := recovered(func() { _ = use(ctx, cm, func(int) error { panic("boom") }) })
		goesOn(t, r, "boom", seen)
		assert.Equal(t, 1, cleanups)
	})
	t.Run("concurrent and nested uses", func(t *testing.T) {
		var live, runs atomic.Int32
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			id := runs.Add(1)
			live.Add(1)
			defer live.Add(-1)
			return yield(int(id))
		})
		var wg sync.WaitGroup
		ids := make([]int, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, use(ctx, cm, func(outer int) error {
					return use(ctx, cm, func(inner int) error {
						assert.NotEqual(t, outer, inner)
						ids[i] = outer
						return nil
					})
				}))
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(16), runs.Load())
		assert.Zero(t, live.Load(), "every run finished")
		seen := map[int]bool{}
		for _, id := range ids {
			assert.False(t, seen[id])
			seen[id] = true
		}
	})
}

// Under Do, a Scoped function runs the body inside its yield, so a body
// that calls runtime.Goexit unwinds through it: its deferred calls run.
func TestScopedDoGoexit(t *testing.T) {
	cleanups := 0
	cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
		defer func() { cleanups++ }()
		return yield(1)
	})
	inGoroutine(func() {
		_ = sy.Do(context.Background(), cm, func(int) error {
			runtime.Goexit()
			return nil
		})
	})
	assert.Equal(t, 1, cleanups)
}

func TestOnLoop(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			p := &probe{exit: func(err error) error { return errors.Join(err, errExit) }}
			cm := sy.OnLoop[string](l, p)
			err := useEnter(ctx, cm, func(v string) error {
				assert.Equal(t, "value of ", v)
				return errBody
			})
			assert.ErrorIs(t, err, errBody)
			assert.ErrorIs(t, err, errExit)
			assert.Equal(t, 1, p.entered)
			assert.Equal(t, []error{errBody}, p.seen)

			// A Scoped function keeps a live ctx from Enter through Exit.
			var during error
			sc := sy.OnLoop(l, sy.Scoped(func(ctx context.Context, yield func(int) error) error {
				err := yield(1)
				during = ctx.Err()
				return err
			}))
			assert.NoError(t, sy.Do(ctx, sc, func(int) error { return nil }))
			assert.NoError(t, during)

			// Exit runs even once ctx has ended.
			cctx, cancel := context.WithCancel(ctx)
			q := &probe{}
			assert.NoError(t, sy.Do(cctx, sy.OnLoop[string](l, q), func(string) error { cancel(); return nil }))
			assert.Equal(t, []error{nil}, q.seen)
		})
	}
}

func TestOnLoopPanics(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			p := &probe{exit: func(error) error { panic("exit boom") }}
			r := recovered(func() { _ = sy.Do(ctx, sy.OnLoop[string](l, p), func(string) error { return nil }) })
			panicValue(t, r, "exit boom")
			assert.Equal(t, 1, p.exits())

			// The body's panic reaches the inner Exit and goes on.
			p = &probe{}
			r = recovered(func() { _ = sy.Do(ctx, sy.OnLoop[string](l, p), func(string) error { panic("boom") }) })
			require.Len(t, p.seen, 1)
			goesOn(t, r, "boom", p.seen[0])
		})
	}
}

func TestOnLoopClosed(t *testing.T) {
	l := sy.New(sy.Serial())
	require.NoError(t, l.Close())
	p := &probe{}
	_, exit, err := sy.Enter(context.Background(), sy.OnLoop[string](l, p))
	assert.ErrorIs(t, err, sy.ErrClosed)
	exit(nil)
	assert.Zero(t, p.entered)
}

// Close waits for a use that is in its body, and its Exit still runs on the
// closing loop.
func TestOnLoopCloseWaitsForExit(t *testing.T) {
	for _, opt := range []sy.Option{sy.Serial(), sy.Name("concurrent")} {
		l := sy.New(opt)
		p := &probe{}
		closed := make(chan error)
		err := sy.Do(context.Background(), sy.OnLoop[string](l, p), func(string) error {
			go func() { closed <- l.Close() }()
			<-l.Context().Done() // Close has begun
			select {
			case <-closed:
				t.Error("Close returned while the body ran")
			default:
			}
			return nil
		})
		assert.NoError(t, err)
		assert.NoError(t, <-closed)
		assert.Equal(t, 1, p.exits())
	}
}

func TestExitStack(t *testing.T) {
	ctx := context.Background()
	t.Run("third fails", func(t *testing.T) {
		var log []string
		a, b := &probe{name: "a", log: &log}, &probe{name: "b", log: &log}
		c := &probe{name: "c", log: &log, enterErr: errOpen}
		setup := func() (err error) {
			var stack sy.ExitStack
			defer stack.Unwind(ctx, &err)
			for _, p := range []*probe{a, b, c} {
				if _, err := sy.Push(ctx, &stack, p); err != nil {
					return err
				}
			}
			return nil
		}
		assert.Equal(t, errOpen, setup())
		assert.Equal(t, []string{"enter a", "enter b", "enter c", "exit b", "exit a"}, log)
		assert.Equal(t, []error{errOpen}, a.seen)
		assert.Equal(t, []error{errOpen}, b.seen)
		assert.Zero(t, c.exits())
	})
	t.Run("chains errors in reverse order", func(t *testing.T) {
		var stack sy.ExitStack
		var log []string
		errA := errors.New("a failed")
		a := &probe{name: "a", log: &log, exit: func(err error) error { return errors.Join(err, errA) }}
		_, err := sy.Push(ctx, &stack, a)
		require.NoError(t, err)
		var deferSaw error
		stack.Defer(func(ctx context.Context, err error) error {
			log = append(log, "deferred")
			deferSaw = err
			return nil // suppresses
		})
		b := &probe{name: "b", log: &log, exit: func(err error) error { return errExit }}
		_, err = sy.Push(ctx, &stack, b)
		require.NoError(t, err)

		err = unwind(ctx, &stack, errBody)
		assert.Equal(t, []string{"enter a", "enter b", "exit b", "deferred", "exit a"}, log)
		assert.Equal(t, []error{errBody}, b.seen)
		assert.Equal(t, errExit, deferSaw)
		assert.Equal(t, []error{nil}, a.seen)
		assert.ErrorIs(t, err, errA)
		assert.NotErrorIs(t, err, errBody, "suppressed by the deferred function")
		assert.NotErrorIs(t, err, errExit)

		// Empty and reusable afterwards.
		assert.Equal(t, errBody, unwind(ctx, &stack, errBody))
		_, err = sy.Push(ctx, &stack, a)
		require.NoError(t, err)
		assert.ErrorIs(t, unwind(ctx, &stack, nil), errA)
		assert.Equal(t, 2, a.exits())
	})
	t.Run("panicking exit", func(t *testing.T) {
		var stack sy.ExitStack
		a := &probe{}
		_, _ = sy.Push(ctx, &stack, a)
		stack.Defer(func(ctx context.Context, err error) error { panic("exit boom") })
		c := &probe{}
		_, _ = sy.Push(ctx, &stack, c)
		r := recovered(func() { unwind(ctx, &stack, nil) })
		assert.Equal(t, []error{nil}, c.seen)
		require.Len(t, a.seen, 1, "the rest still run and see the panic")
		goesOn(t, r, "exit boom", a.seen[0])
	})
	t.Run("body panic", func(t *testing.T) {
		a := &probe{exit: func(error) error { return nil }}
		b := &probe{}
		r := recovered(func() {
			var stack sy.ExitStack
			defer stack.Unwind(ctx, nil)
			_, _ = sy.Push(ctx, &stack, a)
			_, _ = sy.Push(ctx, &stack, b)
			panic("boom")
		})
		require.Len(t, b.seen, 1)
		pe := goesOn(t, r, "boom", b.seen[0])
		assert.Equal(t, []error{pe}, a.seen)
	})
	t.Run("scoped managers", func(t *testing.T) {
		var log []string
		mk := func(name string) sy.ContextManager[string] {
			return sy.Scoped(func(ctx context.Context, yield func(string) error) error {
				log = append(log, "setup "+name)
				err := yield(name)
				log = append(log, "teardown "+name)
				return err
			})
		}
		var stack sy.ExitStack
		for _, n := range []string{"a", "b", "c"} {
			v, err := sy.Push(ctx, &stack, mk(n))
			require.NoError(t, err)
			assert.Equal(t, n, v)
		}
		assert.NoError(t, unwind(ctx, &stack, nil))
		assert.Equal(t, []string{"setup a", "setup b", "setup c", "teardown c", "teardown b", "teardown a"}, log)
	})
}

// file is an io.Closer that counts its Close calls.
type file struct {
	name   string
	closed int
	err    error
}

func (f *file) Close() error {
	f.closed++
	return f.err
}

func TestClosing(t *testing.T) {
	ctx := context.Background()
	var opened []*file
	cm := sy.Closing(func(ctx context.Context) (*file, error) {
		f := &file{name: fmt.Sprint(len(opened)), err: errExit}
		opened = append(opened, f)
		return f, nil
	})
	err := sy.Do(ctx, cm, func(f *file) error {
		return sy.Do(ctx, cm, func(g *file) error {
			assert.NotSame(t, f, g, "each use opens its own")
			return errBody
		})
	})
	assert.ErrorIs(t, err, errBody)
	assert.ErrorIs(t, err, errExit)
	require.Len(t, opened, 2)
	assert.Equal(t, 1, opened[0].closed)
	assert.Equal(t, 1, opened[1].closed)

	failing := sy.Closing(func(ctx context.Context) (*file, error) { return nil, errOpen })
	assert.Equal(t, errOpen, sy.Do(ctx, failing, func(*file) error { return nil }))
}

// An Exit that calls runtime.Goexit while an exit stack unwinds does not
// skip the rest: the managers and functions below it still run, once each,
// seeing an error that says so, and then the Goexit goes on.
func TestExitStackExitGoexit(t *testing.T) {
	for _, form := range []string{"Close", "Unwind"} {
		t.Run(form, func(t *testing.T) {
			var seen []string
			record := func(name string) func(context.Context, error) error {
				return func(_ context.Context, err error) error {
					seen = append(seen, fmt.Sprintf("%s: %v", name, err))
					return err
				}
			}
			done := make(chan bool)
			go func() {
				returned := false
				defer func() { done <- returned }()
				var s sy.ExitStack
				s.Defer(record("first"))
				s.Defer(func(context.Context, error) error { runtime.Goexit(); return nil })
				s.Defer(record("last"))
				if form == "Close" {
					unwind(context.Background(), &s, nil)
				} else {
					func() (err error) {
						defer s.Unwind(context.Background(), &err)
						return nil
					}()
				}
				returned = true
			}()
			assert.False(t, <-done, "the Goexit did not go on")
			assert.Equal(t, []string{"last: <nil>", "first: synchronicity: Exit called runtime.Goexit"}, seen)
		})
	}
}

// On a serial loop, OnLoop's Exit reports an inner Exit that called
// runtime.Goexit as such, not as the body's doing.
func TestOnLoopExitGoexitOnSerialLoop(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	cm := sy.OnLoop(l, &probe{exit: func(error) error { runtime.Goexit(); return nil }})
	err := sy.Do(context.Background(), cm, func(string) error { return nil })
	assert.ErrorContains(t, err, "Exit called runtime.Goexit")
	assert.NotContains(t, err.Error(), "body")
}

// A Scoped function whose turn a serial loop's goroutine waits for (through
// OnLoop, or entered by one of the loop's tasks) stands in for that
// goroutine: its blocking calls to the loop run inline, before and after its
// yield, instead of queueing behind it for ever.
func TestScopedOnSerialLoopCallsItsLoop(t *testing.T) {
	for _, opt := range []sy.Option{sy.Serial(), sy.LockOSThread()} {
		l := sy.New(opt)
		call := func(ctx context.Context, v int) int {
			got, err := sy.Call(ctx, l, func(context.Context) (int, error) { return v, nil })
			require.NoError(t, err)
			return got
		}
		var log []int
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			log = append(log, call(ctx, 1))
			err := yield(2)
			log = append(log, call(ctx, 3))
			return err
		})
		require.NoError(t, sy.Do(context.Background(), sy.OnLoop(l, cm), func(v int) error {
			log = append(log, v)
			return nil
		}))
		_, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
			v, exit, err := sy.Enter(ctx, cm)
			if err != nil {
				return 0, err
			}
			log = append(log, v)
			exit(&err)
			return 0, err
		})
		require.NoError(t, err)
		assert.Equal(t, []int{1, 2, 3, 1, 2, 3}, log)
		require.NoError(t, l.Close())
	}
}
