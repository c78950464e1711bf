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
