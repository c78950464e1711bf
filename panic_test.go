package synchronicity_test

import (
	"context"
	"errors"
	"runtime"
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
