package synchronicity_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// label is a map function whose result names its input, so a test can
// check the index it came with; it fails on multiples of 5.
func label(ctx context.Context, v int) (string, error) {
	yieldSome(v)
	if v%5 == 0 {
		return "failed-" + strconv.Itoa(v), fmt.Errorf("input %d", v)
	}
	return "v" + strconv.Itoa(v), nil
}

func TestMapIndexed(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			in := make([]int, 40)
			for i := range in {
				in[i] = 100 + i // values unlike their indexes
			}
			for _, opts := range [][]sy.SeqOption{{sy.Prefetch(4)}, {sy.Prefetch(4), sy.Unordered()}} {
				seen := make([]int, len(in))
				n := 0
				for r, err := range sy.MapIndexed(ctx, l, slices.Values(in), label, opts...) {
					require.GreaterOrEqual(t, r.Index, 0)
					require.Less(t, r.Index, len(in))
					v := in[r.Index]
					if len(opts) == 1 {
						assert.Equal(t, n, r.Index, "in order")
					}
					if v%5 == 0 {
						assert.EqualError(t, err, fmt.Sprintf("input %d", v), "the error in its input's place")
						assert.Equal(t, "failed-"+strconv.Itoa(v), r.Value, "the value fn returned with its error")
					} else {
						assert.NoError(t, err)
						assert.Equal(t, "v"+strconv.Itoa(v), r.Value)
					}
					seen[r.Index]++
					n++
				}
				for i, c := range seen {
					assert.Equal(t, 1, c, "input %d", i)
				}
			}
		})
	}
}

func TestMapIndexedStopOnError(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			in := slices.Values([]int{1, 2, 3, 5, 6, 7})
			var got []int
			var last error
			for r, err := range sy.MapIndexed(context.Background(), l, in, label, sy.Prefetch(1), sy.StopOnError()) {
				got = append(got, r.Index)
				last = err
			}
			assert.Equal(t, []int{0, 1, 2, 3}, got, "the failing pair is last and names its input")
			assert.EqualError(t, last, "input 5")
		})
	}
}

func TestMapIndexedBreak(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			for _, at := range []int{0, 9} { // the first and the last iteration
				u := &upTo{n: 10}
				var c calls
				n := 0
				for r, err := range sy.MapIndexed(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
					c.enter()
					defer c.exit()
					return v * 2, nil
				}, sy.Prefetch(3)) {
					require.NoError(t, err)
					assert.Equal(t, r.Index*2, r.Value)
					if n++; r.Index == at {
						break
					}
				}
				assert.Equal(t, at+1, n)
				assert.Equal(t, c.started.Load(), c.returned.Load(), "break waits for the calls")
				assert.EqualValues(t, 1, u.cleaned.Load())
			}
		})
	}
}

// Pairs that belong to no input carry index -1.
func TestMapIndexedNoInput(t *testing.T) {
	t.Run("ctx ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		u := &upTo{n: 1 << 20}
		var rs []sy.Indexed[int]
		var errs []error
		for r, err := range sy.MapIndexed(ctx, nil, u.seq, func(ctx context.Context, v int) (int, error) { return v, nil }, sy.Prefetch(2)) {
			rs, errs = append(rs, r), append(errs, err)
			if len(rs) == 5 {
				cancel()
			}
		}
		last := len(rs) - 1
		require.Greater(t, last, 4)
		assert.Equal(t, sy.Indexed[int]{Index: -1}, rs[last])
		assert.ErrorIs(t, errs[last], context.Canceled)
		for i, r := range rs[:last] {
			assert.Equal(t, sy.Indexed[int]{Index: i, Value: i}, r)
			assert.NoError(t, errs[i])
		}
	})
	t.Run("closed loop", func(t *testing.T) {
		l := sy.New()
		require.NoError(t, l.Close())
		rs, errs := pairs(sy.MapIndexed(context.Background(), l, slices.Values([]int{1}), label))
		assert.Equal(t, []sy.Indexed[string]{{Index: -1}}, rs)
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], sy.ErrClosed)
	})
}

func TestMapIndexedPanic(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			r := recovered(func() {
				for range sy.MapIndexed(context.Background(), l, slices.Values([]int{1, 2, 3}), func(ctx context.Context, v int) (int, error) {
					if v == 2 {
						panic("boom")
					}
					return v, nil
				}) {
				}
			})
			pe := panicValue(t, r, "boom")
			assert.Contains(t, string(pe.Stack), "TestMapIndexedPanic", "the stack is fn's")
		})
	}
}

func TestMapIndexedBadArguments(t *testing.T) {
	ctx := context.Background()
	var nilCtx context.Context
	assert.PanicsWithValue(t, "synchronicity.MapIndexed: nil context (use context.Background())", func() {
		sy.MapIndexed(nilCtx, nil, slices.Values([]int{1}), label)
	})
	assert.PanicsWithValue(t, "synchronicity.MapIndexed: nil function", func() {
		sy.MapIndexed[int, int](ctx, nil, slices.Values([]int{1}), nil)
	})
	assert.PanicsWithValue(t, "synchronicity.MapIndexed: nil input sequence", func() {
		sy.MapIndexed(ctx, nil, nil, label)
	})
}

// An input whose call calls runtime.Goexit keeps its place and index, with
// a zero value and an error saying so; the items around it keep theirs.
func TestMapGoexitKeepsItsItem(t *testing.T) {
	bang := func(ctx context.Context, s string) (string, error) {
		if s == "b" {
			runtime.Goexit()
		}
		return s + "!", nil
	}
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			var vals []string
			var errs []bool
			for v, err := range sy.Map(context.Background(), l, slices.Values([]string{"a", "b", "c"}), bang, sy.Prefetch(1)) {
				vals = append(vals, v)
				errs = append(errs, err != nil)
			}
			assert.Equal(t, []string{"a!", "", "c!"}, vals)
			assert.Equal(t, []bool{false, true, false}, errs)

			for _, unordered := range []bool{false, true} {
				opts := []sy.SeqOption{sy.Prefetch(2)}
				if unordered {
					opts = append(opts, sy.Unordered())
				}
				got := map[int]string{}
				for r, err := range sy.MapIndexed(context.Background(), l, slices.Values([]string{"a", "b", "c"}), bang, opts...) {
					if err != nil {
						assert.ErrorContains(t, err, "runtime.Goexit")
						r.Value = "exited"
					}
					got[r.Index] = r.Value
				}
				assert.Equal(t, map[int]string{0: "a!", 1: "exited", 2: "c!"}, got, "unordered: %v", unordered)
			}
		})
	}
}

// When ctx ends, every input whose call was started still gets its pair,
// with what the call returned, before the last pair (-1, ctx's error): an
// item that hangs until ctx ends is reported beside its index too.
func TestMapIndexedPairsForCallsCutShort(t *testing.T) {
	for name, l := range loops(t) {
		for _, unordered := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/unordered=%v", name, unordered), func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				opts := []sy.SeqOption{sy.Prefetch(3)}
				if unordered {
					opts = append(opts, sy.Unordered())
				}
				var called atomic.Int64
				hang := func(ctx context.Context, v int) (string, error) {
					called.Add(1)
					if v == 0 {
						return "quick", nil
					}
					<-ctx.Done() // the hanging ones, as a request with no timeout
					return "cut", ctx.Err()
				}
				got := map[int]error{}
				var last sy.Indexed[string]
				var lastErr error
				for r, err := range sy.MapIndexed(ctx, l, slices.Values(make([]int, 10)), func(ctx context.Context, _ int) (string, error) {
					return hang(ctx, int(called.Load()))
				}, opts...) {
					last, lastErr = r, err
					if r.Index < 0 {
						continue
					}
					_, dup := got[r.Index]
					require.False(t, dup, "index %d twice", r.Index)
					got[r.Index] = err
					if r.Value == "quick" {
						cancel()
					}
				}
				assert.Equal(t, -1, last.Index, "the last pair belongs to no input")
				assert.ErrorIs(t, lastErr, context.Canceled)
				assert.Len(t, got, int(called.Load()), "a pair for every call started")
				cut := 0
				for i, err := range got {
					if err != nil {
						assert.ErrorIs(t, err, context.Canceled, "input %d", i)
						cut++
					}
				}
				if name != "serial" && name != "locked" {
					assert.Positive(t, cut, "calls in flight were cut short and reported")
				}
			})
		}
	}
}
