package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// mode is one way of running a producer: a kind of loop and the options.
type mode struct {
	name string
	loop *sy.Loop
	opts []sy.SeqOption
}

// modes returns every way of running a producer, on loops closed when the
// test ends.
func modes(t *testing.T) []mode {
	t.Helper()
	conc, serial, locked := sy.New(), sy.New(sy.Serial()), sy.New(sy.LockOSThread())
	for _, l := range []*sy.Loop{conc, serial, locked} {
		t.Cleanup(func() { assert.NoError(t, l.Close()) })
	}
	var ms []mode
	for _, l := range []struct {
		name string
		loop *sy.Loop
	}{{"concurrent", conc}, {"serial", serial}, {"locked", locked}} {
		ms = append(ms,
			mode{l.name + "/lockstep", l.loop, nil},
			mode{l.name + "/prefetch1", l.loop, []sy.SeqOption{sy.Prefetch(1)}},
			mode{l.name + "/prefetch4", l.loop, []sy.SeqOption{sy.Prefetch(4)}},
		)
	}
	return ms
}

// counter is a producer of 0..n-1 that fails with err at the end (if not
// nil) and counts its runs and cleanups.
type counter struct {
	n        int
	err      error
	produced atomic.Int64
	runs     atomic.Int64
	cleanups atomic.Int64
}

func (c *counter) produce(ctx context.Context, yield func(int) bool) error {
	c.runs.Add(1)
	defer c.cleanups.Add(1)
	for i := 0; i < c.n; i++ {
		c.produced.Add(1)
		if !yield(i) {
			return nil
		}
	}
	return c.err
}

// split ranges over seq to its end, putting values and errors apart.
func split[T any](seq func(func(T, error) bool)) (vs []T, errs []error) {
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		vs = append(vs, v)
	}
	return vs, errs
}

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

func seqInts(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
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
	assert.PanicsWithValue(t, "synchronicity.Prefetch: n must be at least 1, got 0", func() { sy.Prefetch(0) })
	assert.PanicsWithValue(t, "synchronicity.FromSeq: nil sequence", func() { sy.FromSeq[int](nil) })
}

func TestFromSeq(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	vs, errs := split(sy.Seq(context.Background(), l, sy.FromSeq(slices.Values([]string{"a", "b"})), sy.Prefetch(2)))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"a", "b"}, vs)

	s := sy.Start(context.Background(), l, sy.FromSeq(slices.Values([]int{0, 1, 4})))
	defer s.Stop()
	var got []int
	for v := range s.C() {
		got = append(got, v)
	}
	assert.NoError(t, s.Stop())
	assert.Equal(t, []int{0, 1, 4}, got)
}

// Options meant for Map are refused by Seq and Start, at the call.
func TestSeqRefusesMapOptions(t *testing.T) {
	const seqMsg = "synchronicity.Seq: Unordered and StopOnError apply only to Map, Map2 and MapIndexed"
	assert.PanicsWithValue(t, seqMsg, func() { sy.Seq(context.Background(), nil, (&counter{}).produce, sy.Unordered()) })
	const startMsg = "synchronicity.Start: Unordered and StopOnError apply only to Map, Map2 and MapIndexed"
	assert.PanicsWithValue(t, startMsg, func() { sy.Start(context.Background(), nil, (&counter{}).produce, sy.StopOnError()) })
	assert.PanicsWithValue(t, "synchronicity.Seq: nil SeqOption", func() { sy.Seq(context.Background(), nil, (&counter{}).produce, nil) })
}

func TestStream(t *testing.T) {
	boom := errors.New("boom")
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 100, err: boom}
			s := sy.Start(context.Background(), m.loop, c.produce, m.opts...)
			var got []int
			for v := range s.C() {
				got = append(got, v)
			}
			assert.Equal(t, seqInts(100), got)
			assert.ErrorIs(t, s.Stop(), boom)
			assert.EqualValues(t, 1, c.cleanups.Load())
		})
	}
}

func TestStreamStopMidway(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 1 << 30}
			s := sy.Start(context.Background(), m.loop, c.produce, m.opts...)
			assert.Equal(t, 0, <-s.C())
			assert.Equal(t, 1, <-s.C())
			assert.NoError(t, s.Stop(), "the cancellation Stop caused is not an error")
			assert.NoError(t, s.Stop(), "Stop is idempotent")
			assert.EqualValues(t, 1, c.cleanups.Load())
		})
	}
}

func TestStreamSeq(t *testing.T) {
	c := &counter{n: 5, err: errors.New("boom")}
	s := sy.Start(context.Background(), nil, c.produce)
	vs, errs := split(s.Seq())
	assert.Equal(t, seqInts(5), vs)
	require.Len(t, errs, 1)
	assert.EqualError(t, errs[0], "boom")
	assert.PanicsWithValue(t, "synchronicity: Stream.Seq ranged over twice; a stream delivers its values once", func() {
		for range s.Seq() {
		}
	})

	c2 := &counter{n: 1 << 30}
	s2 := sy.Start(context.Background(), nil, c2.produce)
	for v := range s2.Seq() {
		if v == 3 {
			break // stops the stream
		}
	}
	<-s2.C() // drains what was buffered; closed, so this does not block for ever
	assert.EqualValues(t, 1, c2.cleanups.Load())
}

func TestStreamProducerPanic(t *testing.T) {
	l := sy.New()
	p := func(ctx context.Context, yield func(int) bool) error { panic("stream broke") }
	s := sy.Start(context.Background(), l, p)
	for range s.C() {
	}
	pe := catchPanic(t, func() { s.Stop() })
	assert.Equal(t, "stream broke", pe.Value)
	assert.NoError(t, l.Close(), "an observed panic is not reported again")

	l2 := sy.New(sy.OnPanic(func(*sy.PanicError) {}))
	s2 := sy.Start(context.Background(), l2, p)
	for range s2.C() {
	}
	err := l2.Close()
	runtime.KeepAlive(s2) // collected, it would be reported before Close
	var pe2 *sy.PanicError
	require.ErrorAs(t, err, &pe2, "Close reports the panic nobody observed")
	assert.Equal(t, "stream broke", pe2.Value)
}

func TestStreamCloseInFlight(t *testing.T) {
	l := sy.New()
	var cs []*counter
	var ss []*sy.Stream[int]
	for range 10 {
		c := &counter{n: 1 << 30}
		cs = append(cs, c)
		ss = append(ss, sy.Start(context.Background(), l, c.produce))
	}
	require.NoError(t, l.Close())
	for i, s := range ss {
		for range s.C() {
		}
		assert.ErrorIs(t, s.Stop(), sy.ErrClosed)
		assert.EqualValues(t, 1, cs[i].cleanups.Load())
	}
	assert.ErrorIs(t, sy.Start(context.Background(), l, cs[0].produce).Stop(), sy.ErrClosed)
}

// Ranging the channel of a stream whose handle was dropped at once, the
// most natural idiom, delivers every value however often the collector
// runs meanwhile; one abandoned half-read is stopped by its loop's Close.
func TestStreamChannelOutlivesItsHandle(t *testing.T) {
	l := sy.New()
	const n = 5000
	c := &counter{n: n}
	got := 0
	for v := range sy.Start(context.Background(), l, c.produce, sy.Prefetch(4)).C() {
		require.Equal(t, got, v)
		if got++; got%100 == 0 {
			runtime.GC()
		}
	}
	assert.Equal(t, n, got)
	assert.EqualValues(t, 1, c.cleanups.Load())

	abandoned := &counter{n: 1 << 30}
	ch := sy.Start(context.Background(), l, abandoned.produce).C()
	<-ch
	for range 10 {
		runtime.GC()
		runtime.Gosched()
	}
	assert.EqualValues(t, 0, abandoned.cleanups.Load(), "stopped while its channel was held")
	require.NoError(t, l.Close())
	assert.EqualValues(t, 1, abandoned.cleanups.Load())
	runtime.KeepAlive(ch)
}

// catchPanic runs f and returns the *PanicError it panicked with.
func catchPanic(t *testing.T, f func()) (pe *sy.PanicError) {
	t.Helper()
	defer func() {
		r := recover()
		var ok bool
		pe, ok = r.(*sy.PanicError)
		require.True(t, ok, "want a *PanicError panic, got %T: %v", r, r)
	}()
	f()
	return nil
}

func TestStreamStopOnClosedLoop(t *testing.T) {
	l := sy.New()
	require.NoError(t, l.Close())
	s := sy.Start(context.Background(), l, func(context.Context, func(int) bool) error { return nil })
	assert.ErrorIs(t, s.Stop(), sy.ErrClosed)
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
