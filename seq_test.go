package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

func TestSeqValuesInOrder(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 100}
			seq := sy.Seq(context.Background(), m.loop, c.produce, m.opts...)
			for range 2 { // each range is a fresh run
				vs, errs := split(seq)
				assert.Empty(t, errs)
				assert.Equal(t, seqInts(100), vs)
			}
			assert.EqualValues(t, 2, c.runs.Load())
			assert.EqualValues(t, 2, c.cleanups.Load())
		})
	}
}

func TestSeqErrorIsLastPair(t *testing.T) {
	boom := errors.New("boom")
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 5, err: boom}
			var got []string
			for v, err := range sy.Seq(context.Background(), m.loop, c.produce, m.opts...) {
				got = append(got, fmt.Sprint(v, err))
			}
			assert.Equal(t, []string{"0 <nil>", "1 <nil>", "2 <nil>", "3 <nil>", "4 <nil>", "0 boom"}, got)
		})
	}
}

func TestSeqBreakRunsCleanupOnce(t *testing.T) {
	for _, m := range modes(t) {
		for _, at := range []int{0, 9} { // the first and the last item
			t.Run(fmt.Sprint(m.name, "/at", at), func(t *testing.T) {
				c := &counter{n: 10, err: errors.New("never seen after a break")}
				var got []int
				for v, err := range sy.Seq(context.Background(), m.loop, c.produce, m.opts...) {
					require.NoError(t, err)
					got = append(got, v)
					if v == at {
						break
					}
				}
				assert.EqualValues(t, 1, c.cleanups.Load(), "cleanup has run, once, before the range ends")
				assert.Equal(t, seqInts(at+1), got)
			})
		}
	}
}

func TestSeqLockstepNeverRunsAhead(t *testing.T) {
	for _, m := range modes(t) {
		if len(m.opts) > 0 {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 50}
			consumed := int64(0)
			for v := range sy.Seq(context.Background(), m.loop, c.produce) {
				consumed++
				assert.Equal(t, consumed, c.produced.Load(), "at item %d", v)
			}
		})
	}
}

func TestSeqPrefetchBoundsReadAhead(t *testing.T) {
	for _, m := range modes(t) {
		if len(m.opts) == 0 || m.name[len(m.name)-1] != '4' {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 200}
			consumed := int64(0)
			for range sy.Seq(context.Background(), m.loop, c.produce, m.opts...) {
				consumed++
				// Up to 4 waiting in the buffer, and one more about to be yielded.
				assert.LessOrEqual(t, c.produced.Load()-consumed, int64(4+1))
				runtime.Gosched()
			}
			assert.EqualValues(t, 200, consumed)
		})
	}
}

func TestSeqProducerPanic(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			cleanups := 0
			p := func(ctx context.Context, yield func(int) bool) error {
				defer func() { cleanups++ }()
				yield(1)
				panic("producer broke")
			}
			var got []int
			pe := catchPanic(t, func() {
				for v := range sy.Seq(context.Background(), m.loop, p, m.opts...) {
					got = append(got, v)
				}
			})
			assert.Equal(t, "producer broke", pe.Value)
			assert.Contains(t, string(pe.Stack), "TestSeqProducerPanic")
			assert.Equal(t, []int{1}, got)
			assert.Equal(t, 1, cleanups)
		})
	}
}

func TestSeqPanicInProducerCleanupAfterBreak(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			p := func(ctx context.Context, yield func(int) bool) error {
				defer func() { panic("cleanup broke") }()
				for i := 0; yield(i); i++ {
				}
				return nil
			}
			pe := catchPanic(t, func() {
				for range sy.Seq(context.Background(), m.loop, p, m.opts...) {
					break
				}
			})
			assert.Equal(t, "cleanup broke", pe.Value)
		})
	}
}

func TestSeqBodyPanicStopsProducer(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 10}
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				for v := range sy.Seq(context.Background(), m.loop, c.produce, m.opts...) {
					if v == 3 {
						panic("body broke")
					}
				}
			}()
			assert.Equal(t, "body broke", recovered, "the body's panic keeps its own value")
			assert.EqualValues(t, 1, c.cleanups.Load())
		})
	}
}

func TestSeqCancelMidItem(t *testing.T) {
	// Early and late: a run asks ctx itself for its first values, and
	// registers with it after that.
	for _, at := range []int{5, 100} {
		t.Run(fmt.Sprint("at-", at), func(t *testing.T) { testSeqCancelAt(t, at) })
	}
}

func testSeqCancelAt(t *testing.T, at int) {
	for _, m := range modes(t) {
		for _, honours := range []bool{true, false} {
			t.Run(fmt.Sprint(m.name, "/honours-ctx=", honours), func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				cleanups := 0
				p := func(ctx context.Context, yield func(int) bool) error {
					defer func() { cleanups++ }()
					for i := 0; ; i++ {
						if honours && ctx.Err() != nil {
							return ctx.Err()
						}
						// One that does not is stopped by yield returning
						// false, moments after ctx ends.
						runtime.Gosched()
						if !yield(i) {
							return nil
						}
					}
				}
				var last error
				n := 0
				for v, err := range sy.Seq(ctx, m.loop, p, m.opts...) {
					if err != nil {
						last = err
						continue
					}
					n++
					if v == at {
						cancel() // while the body runs item at
					}
					require.Less(t, n, at+1000, "iteration must end once ctx is cancelled")
				}
				assert.ErrorIs(t, last, context.Canceled)
				assert.Equal(t, 1, cleanups)
			})
		}
	}
}

func TestSeqCancelStopsAProducerThatIgnoresCtxSoon(t *testing.T) {
	// A lockstep run asks ctx on the 1st, 2nd, 4th, 8th and 16th value: it
	// admits only a few more after ctx ends early in a run.
	l := sy.New()
	defer l.Close()
	for at := range 15 {
		ctx, cancel := context.WithCancel(context.Background())
		after := 0
		var last error
		for v, err := range sy.Seq(ctx, l, sy.FromSeq(func(yield func(int) bool) {
			for i := 0; yield(i); i++ {
			}
		})) {
			if err != nil {
				last = err
				continue
			}
			if v > at {
				after++
			}
			if v == at {
				cancel()
			}
		}
		cancel()
		assert.ErrorIs(t, last, context.Canceled, "cancelled at %d", at)
		assert.LessOrEqual(t, after, 8, "values after the cancel at %d", at)
	}
}

func TestSeqBreakCancelsWithCause(t *testing.T) {
	for _, m := range modes(t) {
		for _, at := range []int{0, 100} {
			t.Run(fmt.Sprint(m.name, "/at-", at), func(t *testing.T) {
				var kept context.Context
				p := func(ctx context.Context, yield func(int) bool) error {
					kept = ctx
					for i := 0; yield(i); i++ {
					}
					return nil
				}
				for v := range sy.Seq(context.Background(), m.loop, p, m.opts...) {
					if v == at {
						break
					}
				}
				// Cancelled by the time the range ends.
				assert.ErrorIs(t, kept.Err(), context.Canceled)
				assert.EqualError(t, context.Cause(kept), "synchronicity: consumer stopped")
				select {
				case <-kept.Done():
				default:
					t.Error("Done not closed")
				}
			})
		}
	}
}

func TestSeqYieldAfterFalsePanics(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			p := func(ctx context.Context, yield func(int) bool) error {
				for i := range 1000 {
					yield(i) // ignores the break
				}
				return nil
			}
			pe := catchPanic(t, func() {
				for range sy.Seq(context.Background(), m.loop, p, m.opts...) {
					break
				}
			})
			assert.Contains(t, fmt.Sprint(pe.Value), "yield after it returned false")
		})
	}
}

func TestSeqOnClosedLoop(t *testing.T) {
	l := sy.New()
	require.NoError(t, l.Close())
	c := &counter{n: 3}
	vs, errs := split(sy.Seq(context.Background(), l, c.produce))
	assert.Empty(t, vs)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], sy.ErrClosed)
	assert.Zero(t, c.runs.Load())
}

func TestSeqCloseWhileRanging(t *testing.T) {
	for _, kind := range []sy.Option{sy.Serial(), sy.Limit(4)} {
		l := sy.New(kind)
		c := &counter{n: 1 << 30}
		var last error
		for v, err := range sy.Seq(context.Background(), l, c.produce, sy.Prefetch(8)) {
			if err != nil {
				last = err
			}
			if v == 10 {
				go l.Close() // Close waits for this range to end
			}
		}
		assert.ErrorIs(t, last, sy.ErrClosed)
		assert.ErrorIs(t, last, context.Canceled)
		assert.NoError(t, l.Close())
		assert.EqualValues(t, 1, c.cleanups.Load())
	}
}

func TestSeqManyGoroutines(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			var wg sync.WaitGroup
			sums := make([]int, 100)
			for g := range sums {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := &counter{n: 100}
					for v, err := range sy.Seq(context.Background(), m.loop, c.produce, m.opts...) {
						if err == nil {
							sums[g] += v + g
						}
					}
				}()
			}
			wg.Wait()
			for g, s := range sums {
				assert.Equal(t, 4950+100*g, s)
			}
		})
	}
}

func TestSeqBadInput(t *testing.T) {
	assert.PanicsWithValue(t, "synchronicity.Seq: nil function", func() { sy.Seq[int](context.Background(), nil, nil) })
	assert.PanicsWithValue(t, "synchronicity.Prefetch: n must not be negative, got -1", func() { sy.Prefetch(-1) })
	assert.PanicsWithValue(t, "synchronicity.FromSeq: nil sequence", func() { sy.FromSeq[int](nil) })
}

// Options meant for Map are refused by Seq and Start, at the call.
func TestSeqRefusesMapOptions(t *testing.T) {
	const seqMsg = "synchronicity.Seq: Unordered and StopOnError apply only to Map, Map2 and MapIndexed"
	assert.PanicsWithValue(t, seqMsg, func() { sy.Seq(context.Background(), nil, (&counter{}).produce, sy.Unordered()) })
	const startMsg = "synchronicity.Start: Unordered and StopOnError apply only to Map, Map2 and MapIndexed"
	assert.PanicsWithValue(t, startMsg, func() { sy.Start(context.Background(), nil, (&counter{}).produce, sy.StopOnError()) })
	assert.PanicsWithValue(t, "synchronicity.Seq: nil SeqOption", func() { sy.Seq(context.Background(), nil, (&counter{}).produce, nil) })
}

// A producer that calls runtime.Goexit on a goroutine of its own ends its
// run with an error saying so, not as a success.
func TestProducerGoexit(t *testing.T) {
	l := sy.New()
	defer l.Close()
	p := func(ctx context.Context, yield func(int) bool) error { yield(1); runtime.Goexit(); return nil }
	s := sy.Start(context.Background(), l, p)
	for range s.C() {
	}
	assert.ErrorContains(t, s.Stop(), "runtime.Goexit")
	var last error
	for _, err := range sy.Seq(context.Background(), l, p, sy.Prefetch(4)) {
		last = err
	}
	assert.ErrorContains(t, last, "runtime.Goexit")

	// On a serial loop p runs in a coroutine stepped by the loop goroutine:
	// the values before the Goexit arrive once, then the error, and the
	// loop goes on serving.
	sl := sy.New(sy.Serial())
	defer sl.Close()
	var got []int
	for v, err := range sy.Seq(context.Background(), sl, p) {
		if err != nil {
			assert.ErrorContains(t, err, "runtime.Goexit")
			continue
		}
		got = append(got, v)
	}
	assert.Equal(t, []int{1}, got)
	v, err := sy.Call(context.Background(), sl, func(context.Context) (int, error) { return 7, nil })
	assert.Equal(t, 7, v)
	assert.NoError(t, err)
}

// A producer's panic made ahead of a body that then panics, with Prefetch
// or on a serial loop, is not dropped: the body's panic goes on unchanged,
// and the producer's reaches the loop's handler.
func TestSeqProducerPanicBehindBodyPanic(t *testing.T) {
	for _, kind := range []string{"prefetch", "serial"} {
		t.Run(kind, func(t *testing.T) {
			var sink panicSink
			opts := []sy.Option{sy.OnPanic(sink.handle)}
			if kind == "serial" {
				opts = append(opts, sy.Serial())
			}
			l := sy.New(opts...)
			p := func(ctx context.Context, yield func(int) bool) error {
				defer func() { panic("producer cleanup") }()
				for i := 0; yield(i); i++ {
				}
				return nil
			}
			got := recovered(func() {
				for range sy.Seq(context.Background(), l, p, sy.Prefetch(4)) {
					panic("body")
				}
			})
			assert.Equal(t, "body", got)
			require.NoError(t, l.Close())
			assert.Equal(t, []any{"producer cleanup"}, sink.values())
		})
	}
}

// A producer that ignores its context (FromSeq over an endless loop) stops
// at most 32 values after the loop body cancels ctx, plus what Prefetch lets
// it run ahead, on one processor or more: the run looks at ctx itself and
// needs no other goroutine to run.
func TestSeqStopsSoonAfterCancelWhateverGOMAXPROCS(t *testing.T) {
	endless := sy.FromSeq(func(yield func(int) bool) {
		for i := 0; yield(i); i++ {
		}
	})
	for _, procs := range []int{1, 2} {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		for name, l := range loops(t) {
			for _, prefetch := range []int{0, 4} {
				t.Run(fmt.Sprintf("GOMAXPROCS=%d/%s/prefetch=%d", procs, name, prefetch), func(t *testing.T) {
					var opts []sy.SeqOption
					if prefetch > 0 {
						opts = append(opts, sy.Prefetch(prefetch))
					}
					for _, cancelAt := range []int{0, 5, 100, 1000} {
						ctx, cancel := context.WithCancel(context.Background())
						n, after := 0, -1
						var last error
						for _, err := range sy.Seq(ctx, l, endless, opts...) {
							if err != nil {
								last = err
								break
							}
							if n == cancelAt {
								cancel()
							}
							if n >= cancelAt {
								after++
							}
							n++
							require.Less(t, n, 1_000_000, "never stopped")
						}
						cancel()
						assert.LessOrEqual(t, after, 32+prefetch, "values after the cancel at %d", cancelAt)
						assert.ErrorIs(t, last, context.Canceled)
					}
				})
			}
		}
	}
}

func TestSeqCollected(t *testing.T) {
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

// Collecting stops at the first error: it stops ranging there, even where the
// sequence would go on, as Map's does without StopOnError.
func TestSeqCollectedStopsAtFirstError(t *testing.T) {
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

func TestSeqCollectedProducerPanic(t *testing.T) {
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

func TestSeqCollectedContextEnds(t *testing.T) {
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

func TestSeqCollectedClosedLoop(t *testing.T) {
	l := sy.New()
	require.NoError(t, l.Close())
	vs, err := collect(sy.Seq(context.Background(), l, (&counter{n: 3}).produce))
	assert.ErrorIs(t, err, sy.ErrClosed)
	assert.Empty(t, vs)
}

// Ported from the Python library's test/generators_test.py,
// test_generator_order_sync: a blocking range runs the producer in
// lockstep with the loop body, on every kind of loop.
func TestGeneratorOrderSync(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var events []string
			event := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
			producer := func(ctx context.Context, yield func(int) bool) error {
				for i := range 10 {
					event("producer")
					if !yield(i) {
						return nil
					}
				}
				return nil
			}
			for _, err := range sy.Seq(context.Background(), l, producer) {
				require.NoError(t, err)
				event("consumer")
			}
			want := slices.Repeat([]string{"producer", "consumer"}, 10)
			assert.Equal(t, want, events)
		})
	}
}

// Ported from test_generator_order_async: the async form, a Stream, runs
// on a goroutine of its own, so even unbuffered (Prefetch(0)) its producer
// is one value ahead of the consumer — a deliberate difference from Python's
// async for, which is lockstep; Seq is the lockstep form.
func TestGeneratorOrderAsync(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			var made, received atomic.Int64
			producer := func(ctx context.Context, yield func(int) bool) error {
				for i := range 10 {
					made.Add(1)
					if !yield(i) {
						return nil
					}
				}
				return nil
			}
			s := sy.Start(context.Background(), l, producer, sy.Prefetch(0))
			for range s.C() {
				received.Add(1)
				assert.LessOrEqual(t, made.Load()-received.Load(), int64(1), "at most one value ahead")
			}
			require.NoError(t, s.Stop())
			assert.EqualValues(t, 10, received.Load())
		})
	}
}

// Ported from test_ensure_stop_async_iteration: breaking out after the
// first value stops the producer at its first yield, and its cleanup runs
// once, before the range statement ends.
func TestEnsureStopAsyncIteration(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			made, cleanups := 0, 0
			producer := func(ctx context.Context, yield func(int) bool) error {
				defer func() { cleanups++ }()
				for _, v := range []int{42, 43} {
					made++
					if !yield(v) {
						return nil
					}
				}
				return nil
			}
			for v, err := range sy.Seq(context.Background(), l, producer) {
				require.NoError(t, err)
				assert.Equal(t, 42, v)
				break
			}
			assert.Equal(t, 1, made, "stopped at its first yield")
			assert.Equal(t, 1, cleanups)
		})
	}
}
