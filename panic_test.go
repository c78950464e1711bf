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
	assert.True(t, strings.HasPrefix(msg, "panic: kaboom\n\ngoroutine that panicked:\n"), msg)
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

// A PanicError reads like the user's code: its message shows the frames
// from the panic site down to where the work entered the package, and none
// of the package's own machinery, in every form that carries a panic across
// goroutines and on every kind of loop; Stack keeps every frame. (The Python
// library trims its own frames from tracebacks since 0.10.1.)
func TestPanicErrorShowsTheUsersFrames(t *testing.T) {
	ctx := context.Background()
	forms := map[string]func(l *sy.Loop){
		"Go": func(l *sy.Loop) {
			sy.Go(ctx, l, func(context.Context) (int, error) { return panicsHere(1), nil }).Result()
		},
		"Map": func(l *sy.Loop) {
			for range sy.Map(ctx, l, slices.Values([]int{2}), func(_ context.Context, v int) (int, error) { return panicsHere(v), nil }) {
			}
		},
		"Start": func(l *sy.Loop) {
			sy.Start(ctx, l, func(context.Context, func(int) bool) error { panicsHere(3); return nil }).Stop()
		},
		"Seq with Prefetch": func(l *sy.Loop) {
			for range sy.Seq(ctx, l, func(context.Context, func(int) bool) error { panicsHere(4); return nil }, sy.Prefetch(2)) {
			}
		},
	}
	for name, l := range loops(t) {
		for form, run := range forms {
			t.Run(name+"/"+form, func(t *testing.T) {
				pe := catchPanic(t, func() { run(l) })
				msg := pe.Error()
				assert.Contains(t, msg, "panicsHere", "the panic site")
				for _, own := range []string{"newPanicError", "runTask", "runQueue", "(*run[", "mapCall", "debug.Stack"} {
					assert.NotContains(t, msg, own, "the package's own frames are left out")
				}
				assert.Contains(t, string(pe.Stack), "synchronicity.newPanicError", "Stack keeps every frame")
			})
		}
	}
}
