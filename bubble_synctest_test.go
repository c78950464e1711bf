//go:build go1.25

package synchronicity_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// Serial and locked loops made outside a testing/synctest bubble serve work
// from inside one, in every form: the loop's goroutine never completes a
// channel the bubble made (a fatal error), and the bubble's waits on it are
// simply not durably blocking. This is how a package-level loop or façade
// meets a user's synctest.Test.
func TestLoopsOutsideServeBubbles(t *testing.T) {
	for _, kind := range []string{"serial", "locked"} {
		for _, form := range bubbleForms {
			t.Run(kind+"/"+form.name, func(t *testing.T) {
				l := loops(t)[kind]
				synctest.Test(t, func(t *testing.T) { form.use(t, l) })
				if form.name != "Timer" {
					form.use(t, l) // and outside again, after
				}
			})
		}
	}
}

var bubbleForms = []struct {
	name string
	use  func(*testing.T, *sy.Loop)
}{
	{"Call", func(t *testing.T, l *sy.Loop) {
		v, err := sy.Call(context.Background(), l, func(context.Context) (int, error) { return 1, nil })
		require.NoError(t, err)
		assert.Equal(t, 1, v)
	}},
	{"Go", func(t *testing.T, l *sy.Loop) {
		f := sy.Go(context.Background(), l, func(context.Context) (int, error) { return 2, nil })
		<-f.Done()
		v, err := f.Result()
		require.NoError(t, err)
		assert.Equal(t, 2, v)
		fs := []*sy.Future[int]{f, sy.Go(context.Background(), l, func(context.Context) (int, error) { return 3, nil })}
		vs, err := sy.All(context.Background(), fs...)
		require.NoError(t, err)
		assert.Equal(t, []int{2, 3}, vs)
		_, err = sy.Any(context.Background(), fs...)
		require.NoError(t, err)
		_, err = race(context.Background(), fs...)
		require.NoError(t, err)
		vals, _ := sy.Settle(context.Background(), fs...)
		assert.Equal(t, []int{2, 3}, vals)
		n := 0
		for range sy.AsCompleted(context.Background(), fs...) {
			n++
		}
		assert.Equal(t, 2, n)
	}},
	{"Seq", func(t *testing.T, l *sy.Loop) {
		for _, opts := range [][]sy.SeqOption{nil, {sy.Prefetch(2)}} {
			var got []int
			for v, err := range sy.Seq(context.Background(), l, sy.FromSeq(slices.Values([]int{1, 2, 3})), opts...) {
				require.NoError(t, err)
				got = append(got, v)
			}
			assert.Equal(t, []int{1, 2, 3}, got)
		}
	}},
	{"Start", func(t *testing.T, l *sy.Loop) {
		s := sy.Start(context.Background(), l, sy.FromSeq(slices.Values([]int{1, 2, 3})))
		var got []int
		for v := range s.C() {
			got = append(got, v)
		}
		require.NoError(t, s.Stop())
		assert.Equal(t, []int{1, 2, 3}, got)
	}},
	{"Map", func(t *testing.T, l *sy.Loop) {
		var got []int
		for v, err := range sy.Map(context.Background(), l, slices.Values([]int{1, 2, 3}), func(_ context.Context, v int) (int, error) { return v * 10, nil }) {
			require.NoError(t, err)
			got = append(got, v)
		}
		assert.Equal(t, []int{10, 20, 30}, got)
	}},
	{"OnLoop", func(t *testing.T, l *sy.Loop) {
		cm := sy.OnLoop(l, sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			return yield(4)
		}))
		var got int
		require.NoError(t, sy.Do(context.Background(), cm, func(v int) error { got = v; return nil }))
		assert.Equal(t, 4, got)
		v, exit, err := sy.Enter(context.Background(), cm)
		require.NoError(t, err)
		exit(&err)
		require.NoError(t, err)
		assert.Equal(t, 4, v)
	}},
	{"Cancel", func(t *testing.T, l *sy.Loop) {
		// A context of the bubble's, cancelled there while the loop's
		// goroutine waits on it: the work hears of it through channels of
		// its own side.
		mine := errors.New("mine")
		waitForEnd := func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, context.Cause(ctx)
		}
		for _, wait := range []func(context.Context) error{
			func(ctx context.Context) error { _, err := sy.Call(ctx, l, waitForEnd); return err },
			func(ctx context.Context) error { _, err := sy.Go(ctx, l, waitForEnd).Result(); return err },
			func(ctx context.Context) error {
				for _, err := range sy.Map(ctx, l, slices.Values([]int{1}), func(ctx context.Context, _ int) (int, error) { return waitForEnd(ctx) }) {
					return err
				}
				return nil
			},
		} {
			ctx, cancel := context.WithCancelCause(context.Background())
			go cancel(mine)
			assert.ErrorIs(t, wait(ctx), mine)
		}
	}},
	{"Timer", func(t *testing.T, l *sy.Loop) {
		// A wait on the loop is not durably blocking, so the bubble's clock
		// stays put while it lasts, and moves on afterwards.
		start := time.Now()
		_, err := sy.Call(context.Background(), l, func(context.Context) (int, error) { return 0, nil })
		require.NoError(t, err)
		time.Sleep(time.Second)
		assert.Equal(t, time.Second, time.Since(start).Round(time.Second))
	}},
}
