//go:build go1.25

package synchronicity_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ten futures whose functions each sleep a second resolve after one second
// on a concurrent loop, after five with Limit(2), and after ten on a serial
// loop.
func TestFanOutTakesTheLongestNotTheSum(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []sy.Option
		want time.Duration
	}{
		{"concurrent", nil, time.Second},
		{"limit 2", []sy.Option{sy.Limit(2)}, 5 * time.Second},
		{"serial", []sy.Option{sy.Serial()}, 10 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := sy.New(c.opts...)
				defer l.Close()
				start := time.Now()
				fs := make([]*sy.Future[int], 10)
				for i := range fs {
					fs[i] = sy.Go(t.Context(), l, func(ctx context.Context) (int, error) {
						return i, sleep(ctx, time.Second)
					})
				}
				vs, err := sy.All(t.Context(), fs...)
				require.NoError(t, err)
				assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, vs)
				assert.Equal(t, c.want, time.Since(start))
			})
		})
	}
}

// A caller's deadline cancels the function's ctx at the deadline, and Call
// returns then, once the function has.
func TestCallDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := sy.Call(ctx, l, func(ctx context.Context) (int, error) { return 0, sleep(ctx, time.Hour) })
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 3*time.Second, time.Since(start))
	})
}

// Wait stops waiting at its deadline; the task goes on to finish.
func TestWaitDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		start := time.Now()
		f := sy.Go(t.Context(), l, func(ctx context.Context) (int, error) { return 1, sleep(ctx, 5*time.Second) })
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := f.Wait(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
		v, err := f.Result()
		assert.NoError(t, err)
		assert.Equal(t, 1, v)
		assert.Equal(t, 5*time.Second, time.Since(start))
	})
}

// Shutdown waits for work to finish by itself until its deadline, then
// cancels it.
func TestShutdownDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New()
		start := time.Now()
		quick := sy.Go(t.Context(), l, func(ctx context.Context) (int, error) { return 1, sleep(ctx, time.Second) })
		slow := sy.Go(t.Context(), l, func(ctx context.Context) (int, error) { return 2, sleep(ctx, time.Hour) })
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		assert.ErrorIs(t, l.Shutdown(ctx), context.DeadlineExceeded)
		assert.Equal(t, 2*time.Second, time.Since(start))
		_, err := quick.Result()
		assert.NoError(t, err)
		_, err = slow.Result()
		assert.ErrorIs(t, err, sy.ErrClosed)
	})
}

// On a loop with Limit, calls whose context is already done when their turn
// comes, or ends while they wait for it, give their turn back: afterwards
// calls, futures and Map still run. (A leaked turn deadlocks the bubble.)
func TestLimitTurnsComeBackFromEndedContexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New(sy.Limit(2))
		defer l.Close()
		expired, cancel := context.WithCancel(t.Context())
		cancel()
		for range 5 {
			_, err := sy.Call(expired, l, func(context.Context) (int, error) { return 1, nil })
			require.ErrorIs(t, err, context.Canceled)
			_, err = sy.Go(expired, l, func(context.Context) (int, error) { return 1, nil }).Result()
			require.ErrorIs(t, err, context.Canceled)
		}
		// Two long calls hold both turns; three more time out waiting.
		hold := make(chan struct{})
		holders := []*sy.Future[int]{}
		for range 2 {
			holders = append(holders, sy.Go(t.Context(), l, func(context.Context) (int, error) { <-hold; return 0, nil }))
		}
		synctest.Wait()
		short, stop := context.WithTimeout(t.Context(), time.Second)
		defer stop()
		for range 3 {
			_, err := sy.Go(short, l, func(context.Context) (int, error) { return 1, nil }).Result()
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
		close(hold)
		_, err := sy.All(t.Context(), holders...)
		require.NoError(t, err)
		v, err := sy.Call(t.Context(), l, func(context.Context) (int, error) { return 7, nil })
		require.NoError(t, err)
		assert.Equal(t, 7, v)
		n := 0
		for _, err := range sy.Map(t.Context(), l, func(yield func(int) bool) {
			for i := range 10 {
				if !yield(i) {
					return
				}
			}
		}, func(_ context.Context, i int) (int, error) { return i, nil }) {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 10, n)
	})
}

// The library works inside testing/synctest bubbles, across them and after
// them: a serial loop made in a bubble, the default loop used for the first
// time in one, and then both kinds of loop used outside with the same
// result types. (Before, a pooled call record or the default loop's context
// could carry a bubble's channel out of it, a fatal error.)
func TestWorksAcrossSynctestBubbles(t *testing.T) {
	use := func(t *testing.T, l *sy.Loop) {
		v, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			default:
				return 1, nil
			}
		})
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		v, err = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { <-time.After(time.Millisecond); return 2, nil }).Result()
		require.NoError(t, err)
		assert.Equal(t, 2, v)
		for v, err := range sy.Seq(context.Background(), l, func(ctx context.Context, yield func(int) bool) error {
			_ = ctx.Done()
			yield(3)
			return nil
		}) {
			require.NoError(t, err)
			assert.Equal(t, 3, v)
		}
	}
	for range 2 {
		synctest.Test(t, func(t *testing.T) {
			l := sy.New(sy.Serial())
			defer l.Close()
			use(t, l)
			use(t, nil)
		})
	}
	l := sy.New(sy.Serial())
	defer l.Close()
	use(t, l)
	use(t, nil)
}
