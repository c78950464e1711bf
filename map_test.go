package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	sy "github.com/synchronicity-go/synchronicity"
)

func TestMapKeepsInputOrder(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			for _, workers := range []int{1, 3, 8} {
				u := &upTo{n: 200}
				var c calls
				vs, errs := pairs(sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (string, error) {
					c.enter()
					defer c.exit()
					yieldSome(v * 7)
					return fmt.Sprint(v), nil
				}, sy.Prefetch(workers)))
				want := make([]string, u.n)
				for i := range want {
					want[i] = fmt.Sprint(i)
				}
				assert.Equal(t, want, vs)
				assert.Equal(t, make([]error, u.n), errs)
				assert.LessOrEqual(t, c.most.Load(), int64(workers))
				assert.EqualValues(t, 1, u.cleaned.Load())
			}
		})
	}
}

func TestMapNeverExceedsWorkers(t *testing.T) {
	l := sy.New()
	defer l.Close()
	for _, workers := range []int{1, 2, 5} {
		var c calls
		u := &upTo{n: 500}
		for _, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
			c.enter()
			defer c.exit()
			yieldSome(v)
			return v, nil
		}, sy.Prefetch(workers)) {
			require.NoError(t, err)
		}
		assert.LessOrEqual(t, c.most.Load(), int64(workers), "workers %d", workers)
		assert.EqualValues(t, u.n, c.started.Load())
	}
}

func TestMapLimitedLoopBoundsCalls(t *testing.T) {
	l := sy.New(sy.Limit(2))
	defer l.Close()
	var c calls
	u := &upTo{n: 300}
	for _, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
		c.enter()
		defer c.exit()
		yieldSome(v)
		return v, nil
	}, sy.Prefetch(6)) {
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, c.most.Load(), int64(2))
}

// The input is never read more than n values ahead of the loop body, however
// slow the body is.
func TestMapBackpressure(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				workers int
				opts    []sy.SeqOption
			}{{1, nil}, {4, nil}, {4, []sy.SeqOption{sy.Unordered()}}} {
				u := &upTo{n: 300}
				received, ahead := int64(0), int64(0)
				for _, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
					return v, nil
				}, append(c.opts, sy.Prefetch(c.workers))...) {
					require.NoError(t, err)
					received++
					ahead = max(ahead, u.read.Load()-received)
					yieldSome(int(received)) // lets the workers run ahead if they can
				}
				assert.EqualValues(t, u.n, received)
				assert.LessOrEqual(t, ahead, int64(c.workers))
			}
		})
	}
}

func TestMapUnorderedYieldsEachOnce(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			u := &upTo{n: 1000}
			vs, errs := pairs(sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
				yieldSome(v * 13)
				return v, nil
			}, sy.Prefetch(4), sy.Unordered()))
			assert.Equal(t, make([]error, u.n), errs)
			slices.Sort(vs)
			want := make([]int, u.n)
			for i := range want {
				want[i] = i
			}
			assert.Equal(t, want, vs)
		})
	}
}

// Breaking out of the loop cancels the calls in flight and waits for them
// and for the input's cleanup before the range statement ends.
func TestMapBreakCancelsAndWaits(t *testing.T) {
	for name, l := range loops(t) {
		// Calls that block until the consumer leaves need a worker each:
		// a serial loop runs one at a time, and Limit(2) lets two later
		// calls hold the turns an earlier one needs.
		block := name == "concurrent"
		t.Run(name, func(t *testing.T) {
			for _, unordered := range []bool{false, true} {
				opts := []sy.SeqOption{sy.Prefetch(4)}
				if unordered {
					opts = append(opts, sy.Unordered())
				}
				var c calls
				var cancelled atomic.Int64
				u := &upTo{n: 1 << 20}
				got := 0
				for v, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
					c.enter()
					defer c.exit()
					if v >= 10 && block {
						<-ctx.Done() // until the consumer leaves
						cancelled.Add(1)
						return 0, ctx.Err()
					}
					return v, nil
				}, opts...) {
					require.NoError(t, err)
					if !unordered || block {
						require.Less(t, v, 10)
					}
					if got++; got == 10 {
						break
					}
				}
				assert.Equal(t, c.started.Load(), c.returned.Load(), "calls still running after the range ended")
				if block {
					assert.Equal(t, c.started.Load()-10, cancelled.Load())
				}
				assert.EqualValues(t, 1, u.cleaned.Load())
				assert.LessOrEqual(t, u.read.Load(), int64(10+4))
			}
		})
	}
}

func TestMapErrorsInPlace(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			u := &upTo{n: 50}
			vs, errs := pairs(sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
				if v%10 == 3 {
					return -v, fmt.Errorf("item %d", v)
				}
				return v, nil
			}, sy.Prefetch(3)))
			require.Len(t, vs, u.n)
			for i, v := range vs {
				if i%10 == 3 {
					assert.Equal(t, -i, v)
					assert.EqualError(t, errs[i], fmt.Sprintf("item %d", i))
				} else {
					assert.Equal(t, i, v)
					assert.NoError(t, errs[i])
				}
			}
		})
	}
}

func TestMapStopOnError(t *testing.T) {
	boom := errors.New("boom")
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			for _, unordered := range []bool{false, true} {
				opts := []sy.SeqOption{sy.Prefetch(4), sy.StopOnError()}
				if unordered {
					opts = append(opts, sy.Unordered())
				}
				var c calls
				u := &upTo{n: 1 << 20}
				var causes []error
				var mu sync.Mutex
				vs, errs := pairs(sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
					c.enter()
					defer c.exit()
					if v == 20 {
						return -1, boom
					}
					if v > 20 && ctx.Err() != nil {
						mu.Lock()
						causes = append(causes, context.Cause(ctx))
						mu.Unlock()
					}
					return v, nil
				}, opts...))
				require.NotEmpty(t, errs)
				last := len(errs) - 1
				assert.ErrorIs(t, errs[last], boom)
				assert.Equal(t, -1, vs[last])
				for i, err := range errs[:last] {
					assert.NoError(t, err)
					if !unordered {
						assert.Equal(t, i, vs[i])
					}
				}
				assert.Equal(t, c.started.Load(), c.returned.Load())
				if unordered {
					// Workers that took later items before the error was
					// recorded go on, so only the read-ahead bound holds:
					// never more than Workers inputs read and not yielded.
					assert.LessOrEqual(t, u.read.Load(), int64(len(errs)+4))
				} else {
					assert.Less(t, u.read.Load(), int64(20+8))
				}
				assert.EqualValues(t, 1, u.cleaned.Load())
				for _, cause := range causes {
					assert.ErrorIs(t, cause, boom)
				}
			}
		})
	}
}

func TestMapPanicInFunction(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			var c calls
			u := &upTo{n: 1 << 20}
			got := 0
			pe := catch(func() {
				for _, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
					c.enter()
					defer c.exit()
					if v == 30 {
						panic("bang")
					}
					return v, nil
				}, sy.Prefetch(4)) {
					require.NoError(t, err)
					got++
				}
			})
			require.NotNil(t, pe)
			assert.Equal(t, "bang", pe.Value)
			assert.Contains(t, string(pe.Stack), "TestMapPanicInFunction")
			assert.LessOrEqual(t, got, 30)
			assert.Equal(t, c.started.Load(), c.returned.Load())
			assert.EqualValues(t, 1, u.cleaned.Load())
		})
	}
}

func TestMapPanicInInput(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			var c calls
			cleaned := 0
			in := func(yield func(int) bool) {
				defer func() { cleaned++ }()
				for i := range 100 {
					if i == 40 {
						panic("input broke")
					}
					if !yield(i) {
						return
					}
				}
			}
			got := 0
			pe := catch(func() {
				for v, err := range sy.Map(context.Background(), l, in, func(ctx context.Context, v int) (int, error) {
					c.enter()
					defer c.exit()
					return v, nil
				}, sy.Prefetch(4)) {
					require.NoError(t, err)
					assert.Equal(t, got, v)
					got++
				}
			})
			require.NotNil(t, pe)
			assert.Equal(t, "input broke", pe.Value)
			assert.LessOrEqual(t, got, 40)
			assert.Equal(t, c.started.Load(), c.returned.Load())
			assert.Equal(t, 1, cleaned)
		})
	}
}

// A panic in the loop body cancels and waits for the calls, stops the input,
// and keeps panicking.
func TestMapPanicInBody(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			var c calls
			u := &upTo{n: 1 << 20}
			p := recovered(func() {
				for v := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
					c.enter()
					defer c.exit()
					return v, nil
				}, sy.Prefetch(4)) {
					if v == 5 {
						panic("body")
					}
				}
			})
			assert.Equal(t, "body", p)
			assert.Equal(t, c.started.Load(), c.returned.Load())
			assert.EqualValues(t, 1, u.cleaned.Load())
		})
	}
}

func TestMapContextCancelled(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var c calls
			u := &upTo{n: 1 << 20}
			var vs []int
			var errs []error
			for v, err := range sy.Map(ctx, l, u.seq, func(ctx context.Context, v int) (int, error) {
				c.enter()
				defer c.exit()
				return v, nil
			}, sy.Prefetch(4)) {
				vs, errs = append(vs, v), append(errs, err)
				if len(vs) == 20 {
					cancel()
				}
			}
			require.Greater(t, len(errs), 20)
			last := len(errs) - 1
			assert.ErrorIs(t, errs[last], context.Canceled)
			assert.Zero(t, vs[last])
			for i, err := range errs[:last] {
				assert.NoError(t, err)
				assert.Equal(t, i, vs[i])
			}
			assert.Equal(t, c.started.Load(), c.returned.Load())
			assert.EqualValues(t, 1, u.cleaned.Load())
		})
	}
}

func TestMapLoopClosed(t *testing.T) {
	l := sy.New()
	require.NoError(t, l.Close())
	called := false
	vs, errs := pairs(sy.Map(context.Background(), l, slices.Values([]int{1, 2}), func(ctx context.Context, v int) (int, error) {
		called = true
		return v, nil
	}))
	assert.Equal(t, []int{0}, vs)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], sy.ErrClosed)
	assert.False(t, called)
}

// Closing the loop cancels the calls in flight (cause ErrClosed), ends the
// sequence with an error saying so, and waits for the run.
func TestMapCloseWhileMapping(t *testing.T) {
	for _, opts := range [][]sy.Option{nil, {sy.Serial()}} {
		l := sy.New(opts...)
		var c calls
		u := &upTo{n: 1 << 20}
		started := make(chan struct{})
		closed := make(chan error)
		var causes atomic.Int64
		var last error
		n := 0
		for _, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
			c.enter()
			defer c.exit()
			if v == 5 {
				close(started)
			}
			if v >= 5 {
				<-ctx.Done()
				if errors.Is(context.Cause(ctx), sy.ErrClosed) {
					causes.Add(1)
				}
				return 0, ctx.Err()
			}
			return v, nil
		}, sy.Prefetch(3)) {
			if n++; n == 1 {
				go func() {
					<-started
					closed <- l.Close()
				}()
			}
			last = err
		}
		assert.ErrorIs(t, last, sy.ErrClosed)
		assert.ErrorIs(t, last, context.Canceled)
		assert.NoError(t, <-closed)
		assert.Equal(t, c.started.Load(), c.returned.Load())
		assert.Positive(t, causes.Load())
		assert.EqualValues(t, 1, u.cleaned.Load())
	}
}

// On a serial loop the calls run one at a time on the loop's goroutine: a
// blocking call to the loop made from fn runs inline.
func TestMapSerialRunsOnLoop(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	var c calls
	u := &upTo{n: 100}
	vs, errs := pairs(sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
		c.enter()
		defer c.exit()
		yieldSome(v)
		return sy.Call(ctx, l, func(context.Context) (int, error) { return v * 2, nil })
	}, sy.Prefetch(8)))
	assert.Equal(t, make([]error, u.n), errs)
	for i, v := range vs {
		assert.Equal(t, 2*i, v)
	}
	assert.EqualValues(t, 1, c.most.Load())

	// Ranged from the loop's own goroutine, Map runs inline.
	sum, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
		s := 0
		for v, err := range sy.Map(ctx, l, slices.Values([]int{1, 2, 3}), func(ctx context.Context, v int) (int, error) {
			return v * 10, nil
		}) {
			if err != nil {
				return 0, err
			}
			s += v
		}
		return s, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 60, sum)
}

func TestMapEachRangeIsAFreshRun(t *testing.T) {
	var runs atomic.Int64
	in := func(yield func(int) bool) {
		runs.Add(1)
		for i := range 5 {
			if !yield(i) {
				return
			}
		}
	}
	seq := sy.Map(context.Background(), nil, in, func(ctx context.Context, v int) (int, error) { return v + 1, nil }, sy.Prefetch(2))
	for range 3 {
		vs, _ := pairs(seq)
		assert.Equal(t, []int{1, 2, 3, 4, 5}, vs)
	}
	assert.EqualValues(t, 3, runs.Load())
}

// A long run keeps at most n workers and the input's coroutine, and leaves
// nothing behind. Only the run's own goroutines are counted, not those of
// earlier tests still on their way out.
func TestMapLeavesNoGoroutines(t *testing.T) {
	l := sy.New()
	defer l.Close()
	ignore := goleak.IgnoreCurrent()
	u := &upTo{n: 100_000}
	n, most := 0, 0
	for v, err := range sy.Map(context.Background(), l, u.seq, double, sy.Prefetch(8)) {
		require.NoError(t, err)
		require.Equal(t, 2*n, v)
		if n++; n%5000 == 0 {
			most = max(most, mapGoroutines())
		}
	}
	assert.Equal(t, u.n, n)
	assert.Positive(t, most)
	assert.LessOrEqual(t, most, 1+8+1, "the consumer, the workers and the input's coroutine")
	goleak.VerifyNone(t, ignore) // waits for goroutines on their way out
}

// mapGoroutines counts the goroutines in a Map run's code.
func mapGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "synchronicity.(*mapRun[") {
			n++
		}
	}
	return n
}

func TestMapManyAtOnce(t *testing.T) {
	l := sy.New()
	defer l.Close()
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := &upTo{n: 200 + g}
			i := 0
			for v, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
				yieldSome(v + g)
				return v + g, nil
			}, sy.Prefetch(1+g%5)) {
				assert.NoError(t, err)
				assert.Equal(t, i+g, v)
				i++
			}
			assert.Equal(t, u.n, i)
		}()
	}
	wg.Wait()
}

func TestMapBadArguments(t *testing.T) {
	fn := func(ctx context.Context, v int) (int, error) { return v, nil }
	in := slices.Values([]int{1})
	//lint:ignore SA1012 testing the nil check
	assert.PanicsWithValue(t, "synchronicity.Map: nil context (use context.Background())", func() { sy.Map(nil, nil, in, fn) })
	assert.PanicsWithValue(t, "synchronicity.Map: nil function", func() { sy.Map[int, int](context.Background(), nil, in, nil) })
	assert.PanicsWithValue(t, "synchronicity.Map: nil input sequence", func() { sy.Map(context.Background(), nil, nil, fn) })
	assert.PanicsWithValue(t, "synchronicity.Map: nil SeqOption", func() { sy.Map(context.Background(), nil, in, fn, nil) })
	assert.PanicsWithValue(t, "synchronicity.Prefetch: n must not be negative, got -1", func() { sy.Prefetch(-1) })
}

// A function that calls runtime.Goexit (as t.FailNow does) gives its item
// an error and the map goes on: the worker counts itself out before it
// hands over, so others start in its place.
func TestMapFunctionGoexit(t *testing.T) {
	for name, l := range loops(t) {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprint(name, workers), func(t *testing.T) {
				for range 50 {
					var errs, vals int
					for v, err := range sy.Map(context.Background(), l, (&upTo{n: 40}).seq, func(ctx context.Context, v int) (int, error) {
						if v%3 == 0 {
							runtime.Goexit()
						}
						return v, nil
					}, sy.Prefetch(workers)) {
						if err != nil {
							require.ErrorContains(t, err, "runtime.Goexit")
							errs++
							continue
						}
						require.NotZero(t, v%3)
						vals++
					}
					require.Equal(t, 14, errs)
					require.Equal(t, 26, vals)
				}
			})
		}
	}
}

// An input that calls runtime.Goexit ends the map with an error saying so,
// after the results before it; nothing hangs and every goroutine returns.
func TestMapInputGoexit(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			cleaned := 0
			in := func(yield func(int) bool) {
				defer func() { cleaned++ }()
				for i := range 100 {
					if i == 20 {
						runtime.Goexit()
					}
					if !yield(i) {
						return
					}
				}
			}
			got, last := 0, error(nil)
			for v, err := range sy.Map(context.Background(), l, in, func(ctx context.Context, v int) (int, error) { return v, nil }, sy.Prefetch(3)) {
				if err != nil {
					last = err
					continue
				}
				require.Nil(t, last, "a value after the error")
				require.Equal(t, got, v)
				got++
			}
			assert.ErrorContains(t, last, "input sequence called runtime.Goexit")
			assert.LessOrEqual(t, got, 20)
			assert.Equal(t, 1, cleaned)
		})
	}
}

// No panic of a Map run is lost: one in a call still in flight after the
// body broke out re-panics at the range statement; one in the input's
// cleanup too; several are joined; and when the body panics itself, its
// panic goes on unchanged and the calls' panics reach the loop's handler.
func TestMapLosesNoPanic(t *testing.T) {
	release := func(v int, gate chan struct{}) (int, error) {
		if v < 2 {
			<-gate
			panic(fmt.Sprint("call ", v))
		}
		return v, nil
	}
	t.Run("in flight after break", func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		gate := make(chan struct{})
		pe := catch(func() {
			for v := range sy.Map(context.Background(), l, (&upTo{n: 100}).seq, func(ctx context.Context, v int) (int, error) {
				return release(v, gate)
			}, sy.Prefetch(3), sy.Unordered()) {
				if v >= 2 {
					close(gate) // calls 0 and 1 panic after the body has gone
					break
				}
			}
		})
		require.NotNil(t, pe)
		msg := pe.Error()
		assert.Contains(t, msg, "call 0")
		assert.Contains(t, msg, "call 1")
	})
	t.Run("input cleanup", func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		in := func(yield func(int) bool) {
			defer func() { panic("input cleanup") }()
			for i := 0; ; i++ {
				if !yield(i) {
					return
				}
			}
		}
		pe := catch(func() {
			for v := range sy.Map(context.Background(), l, in, func(ctx context.Context, v int) (int, error) { return v, nil }) {
				if v == 3 {
					break
				}
			}
		})
		require.NotNil(t, pe)
		assert.Equal(t, "input cleanup", pe.Value)
	})
	t.Run("body panics too", func(t *testing.T) {
		var sink panicSink
		l := sy.New(sy.OnPanic(sink.handle))
		gate := make(chan struct{})
		p := recovered(func() {
			for v := range sy.Map(context.Background(), l, (&upTo{n: 100}).seq, func(ctx context.Context, v int) (int, error) {
				return release(v, gate)
			}, sy.Prefetch(3), sy.Unordered()) {
				if v >= 2 {
					close(gate)
					panic("body")
				}
			}
		})
		assert.Equal(t, "body", p)
		require.NoError(t, l.Close())
		require.Len(t, sink.values(), 1, "one report, joining both")
		msg := fmt.Sprint(sink.values()[0])
		assert.Contains(t, msg, "call 0")
		assert.Contains(t, msg, "call 1")
	})
}

// Map ranged from a goroutine locked to its thread (as a task of a
// LockOSThread loop is) can be stopped early in every way: the input's
// coroutine is stopped with the lock state it was made with.
func TestMapFromLockedThreadStopsEarly(t *testing.T) {
	other := sy.New()
	defer other.Close()
	double := func(ctx context.Context, v int) (int, error) { return 2 * v, nil }
	stops := map[string]func(ctx context.Context, cancel context.CancelFunc, u *upTo){
		"break": func(ctx context.Context, _ context.CancelFunc, u *upTo) {
			for range sy.Map(ctx, other, u.seq, double) {
				break
			}
		},
		"cancel": func(ctx context.Context, cancel context.CancelFunc, u *upTo) {
			for range sy.Map(ctx, other, u.seq, double) {
				cancel()
			}
		},
		"stop on error": func(ctx context.Context, _ context.CancelFunc, u *upTo) {
			for range sy.Map(ctx, other, u.seq, func(context.Context, int) (int, error) { return 0, errors.New("no") }, sy.StopOnError()) {
			}
		},
		"panic": func(ctx context.Context, _ context.CancelFunc, u *upTo) {
			recovered(func() {
				for range sy.Map(ctx, other, u.seq, double) {
					panic("body")
				}
			})
		},
	}
	for name, stop := range stops {
		t.Run(name, func(t *testing.T) {
			u := &upTo{n: 1 << 20}
			done := make(chan struct{})
			go func() {
				defer close(done)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				stop(ctx, cancel, u)
			}()
			<-done
			assert.EqualValues(t, 1, u.cleaned.Load())
		})
		t.Run(name+" from a LockOSThread loop's task", func(t *testing.T) {
			locked := sy.New(sy.LockOSThread())
			defer locked.Close()
			u := &upTo{n: 1 << 20}
			_, err := sy.Call(context.Background(), locked, func(ctx context.Context) (int, error) {
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				stop(ctx, cancel, u)
				return 0, nil
			})
			require.NoError(t, err)
			assert.EqualValues(t, 1, u.cleaned.Load())
		})
	}
}

// Map runs as many calls at once as Workers says, and as the loop allows:
// the first calls wait until that many are in, and no more ever are.
// (Fewer would hang the test.) TestMapRunsWorkersAtOnce checks the same
// with a clock in a testing/synctest bubble.
func TestMapWorkersRunTogether(t *testing.T) {
	for _, c := range []struct {
		name          string
		opts          []sy.Option
		workers, want int
	}{
		{"workers 8", nil, 8, 8},
		{"workers 2", nil, 2, 2},
		{"workers 16", nil, 16, 16},
		{"limit 4", []sy.Option{sy.Limit(4)}, 8, 4},
		{"limit 3 without Prefetch", []sy.Option{sy.Limit(3)}, 0, 3},
		{"serial", []sy.Option{sy.Serial()}, 8, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := sy.New(c.opts...)
			defer l.Close()
			var opts []sy.SeqOption
			if c.workers > 0 {
				opts = append(opts, sy.Prefetch(c.workers))
			}
			var calls calls
			var once sync.Once
			allIn := make(chan struct{})
			n := 0
			// Every call waits until want of them are in at once.
			for _, err := range sy.Map(context.Background(), l, (&upTo{n: 32}).seq, func(ctx context.Context, v int) (int, error) {
				if calls.enter() == int64(c.want) {
					once.Do(func() { close(allIn) })
				}
				defer calls.exit()
				<-allIn
				return v, nil
			}, opts...) {
				require.NoError(t, err)
				n++
			}
			assert.Equal(t, 32, n)
			assert.Equal(t, int64(c.want), calls.most.Load())
		})
	}
}

// A slow consumer holds the input back: the input is read up to Workers
// items ahead of the body, and never further.
// TestMapSlowConsumerHoldsInputBack checks the same with a clock in a
// testing/synctest bubble.
func TestMapInputWaitsForTheConsumer(t *testing.T) {
	l := sy.New()
	defer l.Close()
	u := &upTo{n: 50}
	received := int64(0)
	for _, err := range sy.Map(context.Background(), l, u.seq, func(ctx context.Context, v int) (int, error) {
		return v, nil
	}, sy.Prefetch(3)) {
		require.NoError(t, err)
		received++
		want := min(received+3, 50)
		for u.read.Load() < want {
			runtime.Gosched() // the workers read ahead while the body waits
		}
		for range 100 {
			runtime.Gosched() // and read no further, however long it waits
		}
		require.Equal(t, want, u.read.Load(), "the input is read as far as allowed, and no further")
	}
}

// Map2 takes a producer's range: the values are mapped, and the producer's
// error comes last, after the calls already started; its cleanup has run.
func TestMap2ChainsAProducer(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := &counter{n: 6, err: errBody}
			double := func(ctx context.Context, v int) (int, error) { return 2 * v, nil }
			vs, errs := pairs(sy.Map2(ctx, l, sy.Seq(ctx, l, c.produce), double))
			assert.Equal(t, []int{0, 2, 4, 6, 8, 10, 0}, vs)
			assert.Equal(t, []error{nil, nil, nil, nil, nil, nil, errBody}, errs)
			assert.EqualValues(t, 1, c.cleanups.Load())

			// A Map feeds a Map2: pipeline stages.
			square := func(ctx context.Context, v int) (int, error) { return v * v, nil }
			vs, errs = pairs(sy.Map2(ctx, l, sy.Map(ctx, l, slices.Values([]int{1, 2, 3}), square), double, sy.Prefetch(2)))
			assert.Equal(t, []int{2, 8, 18}, vs)
			assert.Equal(t, []error{nil, nil, nil}, errs)
		})
	}
}

// When ctx ends, the run says so once, not again for its input.
func TestMap2ContextEndsOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := sy.New()
	defer l.Close()
	endless := func(ctx context.Context, yield func(int) bool) error {
		for i := 0; ; i++ {
			if !yield(i) {
				return ctx.Err()
			}
		}
	}
	var errs []error
	for v, err := range sy.Map2(ctx, l, sy.Seq(ctx, l, endless), func(ctx context.Context, v int) (int, error) { return v, nil }) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v == 5 {
			cancel()
		}
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
}

func TestMap2BadArguments(t *testing.T) {
	fn := func(ctx context.Context, v int) (int, error) { return v, nil }
	assert.PanicsWithValue(t, "synchronicity.Map2: nil input sequence", func() { sy.Map2(context.Background(), nil, nil, fn) })
	assert.PanicsWithValue(t, "synchronicity.Map2: nil function", func() {
		sy.Map2[int, int](context.Background(), nil, sy.Seq(context.Background(), nil, (&counter{}).produce), nil)
	})
}

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
					if v != 1 {
						return "quick", nil
					}
					// The one that hangs, as a request with no timeout of its
					// own, until the run's timeout comes while it is in flight.
					cancel()
					<-ctx.Done()
					return "cut", ctx.Err()
				}
				got := map[int]error{}
				var last sy.Indexed[string]
				var lastErr error
				in := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
				for r, err := range sy.MapIndexed(ctx, l, slices.Values(in), hang, opts...) {
					last, lastErr = r, err
					if r.Index < 0 {
						continue
					}
					_, dup := got[r.Index]
					require.False(t, dup, "index %d twice", r.Index)
					got[r.Index] = err

				}
				assert.Equal(t, -1, last.Index, "the last pair belongs to no input")
				assert.ErrorIs(t, lastErr, context.Canceled)
				assert.GreaterOrEqual(t, len(got), int(called.Load()), "a pair for every call started")
				cut := 0
				for i, err := range got {
					if err != nil {
						assert.ErrorIs(t, err, context.Canceled, "input %d", i)
						cut++
					}
				}
				assert.Positive(t, cut, "calls in flight were cut short and reported")
			})
		}
	}
}

// Prefetch(0) on a Map means one call at a time, one input ahead.
func TestMapPrefetchZeroRunsOneAtATime(t *testing.T) {
	var c calls
	n := 0
	for _, err := range sy.Map(context.Background(), nil, (&upTo{n: 20}).seq, func(ctx context.Context, v int) (int, error) {
		c.enter()
		defer c.exit()
		yieldSome(v)
		return v, nil
	}, sy.Prefetch(0)) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 20, n)
	assert.EqualValues(t, 1, c.most.Load())
}
