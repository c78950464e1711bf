//go:build go1.25

package synchronicity_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// Calls that finish in a random order still yield their results in input
// order, and Unordered yields them in the order they finish.
func TestMapOrderUnderRandomDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		r := rand.New(rand.NewPCG(1, 2))
		delays := make([]time.Duration, 300)
		for i := range delays {
			delays[i] = time.Duration(r.IntN(1000)) * time.Millisecond
		}
		u := &upTo{n: len(delays)}
		wait := func(ctx context.Context, v int) (int, error) {
			return v, sleep(ctx, delays[v])
		}
		i := 0
		for v, err := range sy.Map(context.Background(), l, u.seq, wait, sy.Prefetch(6)) {
			require.NoError(t, err)
			require.Equal(t, i, v)
			i++
		}
		assert.Equal(t, len(delays), i)

		// Unordered, with every call in flight at once, the results come in
		// the order of their delays.
		u = &upTo{n: 8}
		var got []int
		start := time.Now()
		for v, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
			return v, sleep(ctx, time.Duration(8-v)*time.Second)
		}, sy.Prefetch(8), sy.Unordered()) {
			require.NoError(t, err)
			got = append(got, v)
		}
		assert.Equal(t, []int{7, 6, 5, 4, 3, 2, 1, 0}, got)
		assert.Equal(t, 8*time.Second, time.Since(start))
	})
}

// n workers run n calls at once: 16 one-second calls take two seconds with
// Workers(8), eight with Workers(2), and as long as the loop's Limit allows.
func TestMapRunsWorkersAtOnce(t *testing.T) {
	for _, c := range []struct {
		name    string
		opts    []sy.Option
		workers int
		want    time.Duration
	}{
		{"workers 8", nil, 8, 2 * time.Second},
		{"workers 2", nil, 2, 8 * time.Second},
		{"workers 16", nil, 16, time.Second},
		{"limit 4", []sy.Option{sy.Limit(4)}, 8, 4 * time.Second},
		{"serial", []sy.Option{sy.Serial()}, 8, 16 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := sy.New(c.opts...)
				defer l.Close()
				var calls calls
				u := &upTo{n: 16}
				start := time.Now()
				n := 0
				for _, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
					calls.enter()
					defer calls.exit()
					return v, sleep(ctx, time.Second)
				}, sy.Prefetch(c.workers)) {
					require.NoError(t, err)
					n++
				}
				assert.Equal(t, 16, n)
				assert.Equal(t, c.want, time.Since(start))
				assert.LessOrEqual(t, calls.most.Load(), int64(c.workers))
			})
		})
	}
}

// A slow consumer holds the input back: with the body taking a second per
// item, the input is never more than n ahead.
func TestMapSlowConsumerHoldsInputBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		u := &upTo{n: 50}
		received := int64(0)
		for _, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
			return v, nil
		}, sy.Prefetch(3)) {
			require.NoError(t, err)
			received++
			time.Sleep(time.Second)
			synctest.Wait()
			assert.Equal(t, min(received+3, 50), u.read.Load(), "the input is read as far as allowed, and no further")
		}
	})
}

// When ctx ends mid-way the calls in flight see it and the sequence ends
// with ctx's error.
func TestMapDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		var c calls
		u := &upTo{n: 10}
		vs, errs := pairs(sy.Map(ctx, l, u.seq, func(ctx context.Context, v int) (int, error) {
			c.enter()
			defer c.exit()
			return v, sleep(ctx, time.Second)
		}, sy.Prefetch(1)))
		assert.Equal(t, []int{0, 1, 0}, vs)
		require.Len(t, errs, 3)
		assert.NoError(t, errs[0])
		assert.NoError(t, errs[1])
		assert.ErrorIs(t, errs[2], context.DeadlineExceeded)
		assert.Equal(t, c.started.Load(), c.returned.Load())
		assert.EqualValues(t, 1, u.cleaned.Load())
	})
}
