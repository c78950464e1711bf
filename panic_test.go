package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

func TestPanicErrorMessage(t *testing.T) {
	l := sy.New()
	defer l.Close()
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { panicky("kaboom"); return 0, nil })
	p := catch(func() { _, _ = f.Result() })
	require.NotNil(t, p)
	msg := p.Error()
	assert.True(t, strings.HasPrefix(msg, "panic: kaboom\nin Go github.com/synchronicity-go/synchronicity_test.TestPanicErrorMessage.func1\n\ngoroutine that panicked:\n"), msg)
	assert.Contains(t, msg, "panicky")
	assert.Nil(t, p.Unwrap(), "a non-error value unwraps to nil")
	assert.Same(t, p, catch(func() { _, _ = f.Result() }), "observing again panics again")
}

// A panic that crosses several tasks keeps the stack where it happened.
func TestPanicKeepsFirstStack(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	inner := sy.New()
	defer inner.Close()
	p := catch(func() {
		_, _ = sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
			return sy.Go(ctx, inner, func(ctx context.Context) (int, error) { panicky("deep"); return 0, nil }).Result()
		})
	})
	require.NotNil(t, p)
	assert.Equal(t, "deep", p.Value)
	assert.Contains(t, string(p.Stack), "panicky")
	assert.NoError(t, inner.Close(), "the panic was observed")
}

func TestPanicWithErrorValue(t *testing.T) {
	l := sy.New()
	defer l.Close()
	p := catch(func() {
		_, _ = sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
			var m map[string]int
			//lint:ignore SA5000 the runtime error is the point
			m["x"] = 1
			return 0, nil
		})
	})
	require.NotNil(t, p)
	var re runtime.Error
	assert.True(t, errors.As(p, &re), "errors.As reaches the runtime error")
}

// A task that calls runtime.Goexit (as t.FailNow does) settles its future
// with an error instead of leaving it pending.
func TestGoexitInTask(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { runtime.Goexit(); return 1, nil })
			_, err := f.Result()
			assert.ErrorContains(t, err, "runtime.Goexit")
			v, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 2, nil })
			assert.NoError(t, err, "the loop still works")
			assert.Equal(t, 2, v)
		})
	}
}

//go:noinline
func panicsHere(v int) int { panic(fmt.Sprintf("user panic %d", v)) }

// The tests below port test/tracebacks_test.py of the Python library, which
// trims its own frames from tracebacks since 0.10.1: a PanicError's message
// shows the frames from the panic site down to where the work entered the
// package, and none of the package's machinery, on every kind of loop.

// assertUsersFrames checks that run panics with a PanicError whose message
// holds want and none of the package's own frames, on every kind of loop.
func assertUsersFrames(t *testing.T, run func(l *sy.Loop), want ...string) {
	t.Helper()
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			pe := catchPanic(t, func() { run(l) })
			msg := pe.Error()
			for _, w := range append(want, "panicsHere") {
				assert.Contains(t, msg, w)
			}
			for _, own := range []string{"newPanicError", "runTask", "runQueue", "(*run[", "mapCall", "debug.Stack", "serve"} {
				assert.NotContains(t, msg, own, "the package's own frames are left out")
			}
		})
	}
}

// Ported from test_sync_to_async: a blocking call.
func TestSyncToAsync(t *testing.T) {
	assertUsersFrames(t, func(l *sy.Loop) {
		sy.Call(context.Background(), l, func(context.Context) (int, error) { return panicsHere(1), nil })
	}, "TestSyncToAsync.func")
}

// Ported from test_async_to_async: a future, and the items of a Map.
func TestAsyncToAsync(t *testing.T) {
	ctx := context.Background()
	assertUsersFrames(t, func(l *sy.Loop) {
		sy.Go(ctx, l, func(context.Context) (int, error) { return panicsHere(1), nil }).Result()
	}, "TestAsyncToAsync.func")
	assertUsersFrames(t, func(l *sy.Loop) {
		for range sy.Map(ctx, l, slices.Values([]int{2}), func(_ context.Context, v int) (int, error) { return panicsHere(v), nil }) {
		}
	}, "TestAsyncToAsync.func")
}

// Ported from test_sync_to_async_gen: ranging over a producer, in lockstep
// and running ahead.
func TestSyncToAsyncGen(t *testing.T) {
	ctx := context.Background()
	for _, opts := range [][]sy.SeqOption{nil, {sy.Prefetch(2)}} {
		assertUsersFrames(t, func(l *sy.Loop) {
			for range sy.Seq(ctx, l, func(context.Context, func(int) bool) error { panicsHere(4); return nil }, opts...) {
			}
		}, "TestSyncToAsyncGen.func")
	}
}

// Ported from test_async_to_async_gen: a stream.
func TestAsyncToAsyncGen(t *testing.T) {
	assertUsersFrames(t, func(l *sy.Loop) {
		sy.Start(context.Background(), l, func(context.Context, func(int) bool) error { panicsHere(3); return nil }).Stop()
	}, "TestAsyncToAsyncGen.func")
}

// Ported from test_sync_to_async_ctx_mgr: a manager's setup on a loop.
func TestSyncToAsyncCtxMgr(t *testing.T) {
	assertUsersFrames(t, func(l *sy.Loop) {
		cm := sy.OnLoop(l, sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			return yield(panicsHere(5))
		}))
		sy.Do(context.Background(), cm, func(int) error { return nil })
	}, "TestSyncToAsyncCtxMgr.func")
}

// Ported from test_recursive: every frame of a recursion shows.
func TestRecursive(t *testing.T) {
	var f func(n int) int
	f = func(n int) int {
		if n == 0 {
			return panicsHere(0)
		}
		return f(n-1) + 1
	}
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			pe := catchPanic(t, func() {
				sy.Call(context.Background(), l, func(context.Context) (int, error) { return f(10), nil })
			})
			assert.Equal(t, 11, strings.Count(pe.Error(), "TestRecursive.func1("), "one frame per level")
		})
	}
}

// Ported from test_full_traceback_flag: the full stack, the package's
// frames included, stays available in Stack.
func TestFullTracebackFlag(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	pe := catchPanic(t, func() {
		sy.Call(context.Background(), l, func(context.Context) (int, error) { return panicsHere(1), nil })
	})
	assert.Contains(t, string(pe.Stack), "synchronicity.newPanicError")
	assert.Contains(t, string(pe.Stack), "panicsHere")
}
