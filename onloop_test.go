package synchronicity_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sy "github.com/synchronicity-go/synchronicity"
)

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
