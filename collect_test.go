package synchronicity_test

import (
	"context"
	"iter"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

func TestCollect(t *testing.T) {
	ctx := context.Background()
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 5}
			vs, err := collect(sy.Seq(ctx, m.loop, c.produce, m.opts...))
			assert.NoError(t, err)
			assert.Equal(t, []int{0, 1, 2, 3, 4}, vs)

			c = &counter{n: 3, err: errBody}
			vs, err = collect(sy.Seq(ctx, m.loop, c.produce, m.opts...))
			assert.Equal(t, errBody, err)
			assert.Equal(t, []int{0, 1, 2}, vs, "the values before the error")
			assert.EqualValues(t, 1, c.cleanups.Load())

			c = &counter{n: 0}
			vs, err = collect(sy.Seq(ctx, m.loop, c.produce, m.opts...))
			assert.NoError(t, err)
			assert.Empty(t, vs)
		})
	}
}

// The first error ends Collect: it stops ranging there, even where the
// sequence would go on, as Map's does without StopOnError.
func TestCollectStopsAtFirstError(t *testing.T) {
	more := true
	seq := func(yield func(int, error) bool) {
		if !yield(1, nil) {
			t.Error("stopped before the error")
			return
		}
		if more = yield(0, errBody); more {
			yield(3, nil)
		}
	}
	vs, err := collect(iter.Seq2[int, error](seq))
	assert.Equal(t, []int{1}, vs)
	assert.Equal(t, errBody, err)
	assert.False(t, more, "yield returned false at the error")

	l := sy.New()
	defer l.Close()
	var calls calls
	parse := func(ctx context.Context, v int) (int, error) {
		calls.enter()
		defer calls.exit()
		if v == 2 {
			return 0, errBody
		}
		return v, nil
	}
	vs, err = collect(sy.Map(context.Background(), l, slices.Values([]int{0, 1, 2, 3, 4, 5, 6, 7}), parse, sy.Prefetch(1)))
	assert.Equal(t, []int{0, 1}, vs)
	assert.Equal(t, errBody, err)
	assert.Equal(t, calls.started.Load(), calls.returned.Load(), "Map waited for its calls")
}

func TestCollectProducerPanic(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			p := func(ctx context.Context, yield func(int) bool) error {
				yield(1)
				panic("boom")
			}
			r := recovered(func() { _, _ = collect(sy.Seq(context.Background(), m.loop, p, m.opts...)) })
			panicValue(t, r, "boom")
		})
	}
}

func TestCollectContextEnds(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			endless := func(ctx context.Context, yield func(int) bool) error {
				for i := 0; ; i++ {
					if i == 10 {
						cancel()
					}
					if !yield(i) {
						return ctx.Err()
					}
					if ctx.Err() != nil {
						return ctx.Err()
					}
				}
			}
			vs, err := collect(sy.Seq(ctx, m.loop, endless, m.opts...))
			assert.ErrorIs(t, err, context.Canceled)
			assert.LessOrEqual(t, len(vs), 11)
			for i, v := range vs {
				require.Equal(t, i, v, "the values before the end, in order")
			}
		})
	}
}

func TestCollectClosedLoopAndNil(t *testing.T) {
	l := sy.New()
	require.NoError(t, l.Close())
	vs, err := collect(sy.Seq(context.Background(), l, (&counter{n: 3}).produce))
	assert.ErrorIs(t, err, sy.ErrClosed)
	assert.Empty(t, vs)
}
