package synchronicity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

type key struct{}

// A future's context behaves as a context.Context should: values and the
// deadline come from the caller's context, and it ends when the caller's
// context ends, when the future is cancelled, or when the loop closes, each
// time with the right error and cause, reaching contexts derived from it.
func TestTaskContext(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	cases := []struct {
		name  string
		end   func(cancelCaller context.CancelFunc, f *sy.Future[error], l *sy.Loop)
		cause error
	}{
		{"caller", func(c context.CancelFunc, _ *sy.Future[error], _ *sy.Loop) { c() }, context.Canceled},
		{"future", func(_ context.CancelFunc, f *sy.Future[error], _ *sy.Loop) { f.Cancel() }, context.Canceled},
		{"loop", func(_ context.CancelFunc, _ *sy.Future[error], l *sy.Loop) { go l.Close() }, sy.ErrClosed},
	}
	for _, c := range cases {
		for _, derive := range []bool{false, true} {
			t.Run(c.name, func(t *testing.T) {
				l := sy.New()
				defer l.Close()
				caller, cancel := context.WithDeadline(context.WithValue(context.Background(), key{}, "v"), deadline)
				defer cancel()
				started := make(chan struct{})
				f := sy.Go(caller, l, func(ctx context.Context) (error, error) {
					assert.Equal(t, "v", ctx.Value(key{}))
					d, ok := ctx.Deadline()
					assert.True(t, ok)
					assert.Equal(t, deadline, d)
					assert.NoError(t, ctx.Err())
					if derive {
						var stop context.CancelFunc
						ctx, stop = context.WithCancel(ctx)
						defer stop()
					}
					close(started)
					<-ctx.Done()
					return context.Cause(ctx), ctx.Err()
				})
				<-started
				c.end(cancel, f, l)
				cause, err := f.Result()
				assert.ErrorIs(t, err, context.Canceled)
				assert.ErrorIs(t, cause, c.cause)
			})
		}
	}
}

// context.AfterFunc on a task's context runs once it ends, and not if
// stopped first.
func TestTaskContextAfterFunc(t *testing.T) {
	l := sy.New()
	defer l.Close()
	ran := make(chan string, 2)
	registered := make(chan struct{})
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
		stop := context.AfterFunc(ctx, func() { ran <- "stopped one" })
		require.True(t, stop())
		context.AfterFunc(ctx, func() { ran <- "kept one" })
		close(registered)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-registered
	f.Cancel()
	_, err := f.Result()
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "kept one", <-ran)
	assert.Empty(t, ran)
}

// A blocking call whose caller's context can end on its own still ends with
// the loop.
func TestCallContextEndsWithLoop(t *testing.T) {
	l := sy.New()
	caller, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := sy.Call(caller, l, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			if !errors.Is(context.Cause(ctx), sy.ErrClosed) {
				return 0, errors.New("wrong cause")
			}
			return 0, ctx.Err()
		})
		done <- err
	}()
	<-started
	require.NoError(t, l.Close())
	err := <-done
	assert.ErrorIs(t, err, sy.ErrClosed)
	assert.ErrorIs(t, err, context.Canceled)
}
