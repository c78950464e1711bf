package synchronicity

import (
	"context"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A long-lived loop does not keep every future that ever panicked: the
// ones whose panic was observed are let go, the others kept for Close.
func TestObservedPanicsAreForgotten(t *testing.T) {
	l := New(OnPanic(func(*PanicError) {}))
	boom := func(context.Context) (int, error) { panic("boom") }
	for range 1000 {
		f := Go(context.Background(), l, boom)
		<-f.Done()
		pe, _ := f.rec.observe()
		assert.NotNil(t, pe)
	}
	owed := Go(context.Background(), l, boom)
	defer runtime.KeepAlive(owed) // collected, it would be reported before Close
	<-owed.Done()
	l.panicMu.Lock()
	kept := len(l.panicked)
	l.panicMu.Unlock()
	assert.Less(t, kept, 100, "futures kept after their panics were observed")
	err := l.Close()
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
}

// signalWriter collects what is written to it and signals each write.
type signalWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	wrote chan struct{}
}

func (w *signalWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(b), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// captureReports sends the reports of loops without OnPanic to a buffer
// for the rest of the test.
func captureReports(t *testing.T) *signalWriter {
	w := &signalWriter{wrote: make(chan struct{}, 1)}
	old := setPanicOutput(w)
	t.Cleanup(func() { setPanicOutput(old) })
	return w
}

// collectUntil runs the garbage collector until done is signalled, a
// bounded number of times.
func collectUntil(t *testing.T, done <-chan struct{}) {
	t.Helper()
	for range 1000 {
		runtime.GC()
		select {
		case <-done:
			return
		default:
			runtime.Gosched()
		}
	}
	t.Fatal("not reported after 1000 collections")
}

// A panic nobody observes is never silent: a future or stream dropped
// unobserved is reported once it is collected, even on a loop that is
// never closed (the default loop); one still unobserved at Close is
// reported there, even if Close's error is dropped. Each is reported once.
func TestUnobservedPanicsAreNeverSilent(t *testing.T) {
	boom := func(v string) func(context.Context) (int, error) {
		return func(context.Context) (int, error) { panic(v) }
	}
	t.Run("future on the default loop, collected", func(t *testing.T) {
		w := captureReports(t)
		func() {
			f := Go(context.Background(), nil, boom("dropped future"))
			<-f.Done()
		}()
		collectUntil(t, w.wrote)
		assert.Contains(t, w.String(), "dropped future")
		assert.Contains(t, w.String(), "Loop(default)")
	})
	t.Run("stream, collected", func(t *testing.T) {
		w := captureReports(t)
		l := New()
		func() {
			s := Start(context.Background(), l, func(context.Context, func(int) bool) error { panic("dropped stream") })
			<-s.s.done
		}()
		collectUntil(t, w.wrote)
		assert.Contains(t, w.String(), "dropped stream")
		require.NoError(t, l.Close(), "reported once already")
		assert.Equal(t, 1, strings.Count(w.String(), "dropped stream"))
	})
	t.Run("Close's error dropped", func(t *testing.T) {
		w := captureReports(t)
		l := New()
		f := Go(context.Background(), l, boom("at close"))
		<-f.Done()
		_ = l.Close()
		assert.Contains(t, w.String(), "at close")
		runtime.KeepAlive(f)
	})
	t.Run("OnPanic instead of standard error", func(t *testing.T) {
		w := captureReports(t)
		got := make(chan *PanicError, 1)
		l := New(OnPanic(func(p *PanicError) { got <- p }))
		defer l.Close()
		func() {
			f := Go(context.Background(), l, boom("handled"))
			<-f.Done()
		}()
		done := make(chan struct{})
		go func() { assert.Equal(t, "handled", (<-got).Value); close(done) }()
		collectUntil(t, done)
		assert.Empty(t, w.String())
	})
	t.Run("observed, not reported", func(t *testing.T) {
		w := captureReports(t)
		l := New()
		func() {
			f := Go(context.Background(), l, boom("observed"))
			assert.Panics(t, func() { f.Result() })
		}()
		for range 5 {
			runtime.GC()
		}
		require.NoError(t, l.Close())
		assert.Empty(t, w.String())
	})
}

// A locked loop's spins go by whether goroutines other than the locked
// loops' own and their callers' want every processor: goroutines kept busy
// beyond the processors are such a crowd, a quiet process is none, and a
// locked loop's goroutine and callers are discounted.
func TestCrowded(t *testing.T) {
	s := make([]metrics.Sample, len(crowdMetrics))
	if _, known := wanting(s); !known {
		t.Skip("the runtime does not count running and runnable goroutines (before Go 1.26); TestNotCrowdedWhereUncounted covers that")
	}
	procs := int64(runtime.GOMAXPROCS(0))

	var stop atomic.Bool
	var started, done sync.WaitGroup
	for range procs + 2 {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			for !stop.Load() {
				runtime.KeepAlive(&stop)
			}
		}()
	}
	started.Wait()
	// The test's goroutine counts itself; in a spin the sampler is a
	// locked loop's goroutine or caller, and discounted.
	busy, _ := wanting(s)
	stop.Store(true)
	done.Wait()
	assert.GreaterOrEqual(t, busy-1-lockedWanting(), procs, "%d busy goroutines on %d processors", procs+2, procs)
	if procs > 1 { // with one processor there is no spin to decide
		runtime.Gosched() // the busy goroutines finish exiting
		quiet, _ := wanting(s)
		assert.Less(t, quiet-1-lockedWanting(), procs, "a quiet process")
	}

	l := New(LockOSThread())
	_, err := Call(context.Background(), l, func(context.Context) (int, error) { return 1, nil })
	require.NoError(t, err)
	for !l.idle.asleep.Load() { // the loop parks once its spin for more work ends
		runtime.Gosched()
	}
	assert.Equal(t, int64(0), lockedWanting(), "a parked loop")
	l.callers.Add(3)
	assert.Equal(t, int64(3), lockedWanting(), "its waiting callers")
	l.callers.Add(-3)
	require.NoError(t, l.Close())
	assert.Equal(t, int64(0), lockedWanting(), "a closed loop")
}

// Where the runtime does not count goroutines (before Go 1.26, or a name it
// does not know) there is never a crowd, spins are as long as ever, and
// sampling stops.
func TestNotCrowdedWhereUncounted(t *testing.T) {
	saved := crowdMetrics
	t.Cleanup(func() { crowdMetrics = saved; crowd.blind.Store(false) })
	crowdMetrics = []string{"/no/such/count:goroutines", saved[1]}
	_, known := wanting(make([]metrics.Sample, len(crowdMetrics)))
	assert.False(t, known)
	crowd.crowded.Store(true) // as if a sample had found a crowd
	crowd.asks.asks.Store(0)  // the next ask samples
	for range 2 * crowdEvery {
		require.False(t, crowded(), "with counts the runtime does not know")
	}
	assert.True(t, crowd.blind.Load(), "sampling stops")
}

// Work in flight spreads over every list of the table, and about one piece
// in clockEvery is timed, though nothing draws a random number.
func TestTrackSpreads(t *testing.T) {
	l := New()
	defer l.Close()
	const n = 64 * tableSize
	ws := make([]*inflight, n)
	for i := range ws {
		ws[i] = &(&task{}).work // a new allocation each, as work's is
		l.track(context.Background(), ws[i], viaCall, TestTrackSpreads)
	}
	var lists [tableSize]int
	timed := 0
	for _, w := range ws {
		lists[w.list]++
		if w.timed {
			timed++
		}
	}
	for i, c := range lists {
		assert.Greater(t, c, n/tableSize/4, "list %d", i)
		assert.Less(t, c, n/tableSize*4, "list %d", i)
	}
	assert.Greater(t, timed, n/clockEvery/4)
	assert.Less(t, timed, n/clockEvery*4)
	for _, w := range ws {
		l.untrack(w)
	}
	assert.Zero(t, l.Stats().InFlight)
}

// What every call writes is a cache line's width from the fields around
// it, and so is what a serial loop's goroutine alone writes.
func TestHotFieldsHaveTheirLine(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the padding is sized for 64-bit words")
	}
	var l Loop
	assert.EqualValues(t, 64, unsafe.Offsetof(l.state)-unsafe.Offsetof(l.cancel)-unsafe.Sizeof(l.cancel), "padding before state")
	assert.EqualValues(t, 32+64, unsafe.Offsetof(l.drained)-unsafe.Offsetof(l.state), "state, queue and idle, and padding")
	assert.EqualValues(t, 64, unsafe.Offsetof(l.batch)-unsafe.Offsetof(l.watcher)-unsafe.Sizeof(l.watcher), "padding before batch")
	assert.EqualValues(t, 40+64, unsafe.Offsetof(l.wake)-unsafe.Offsetof(l.batch), "batch, next and ran, and padding")
}

// A change of GOMAXPROCS reaches the spins within procsEvery waits.
func TestProcsFollowsGOMAXPROCS(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(was)
	for _, n := range []int{1, 3, 2} {
		runtime.GOMAXPROCS(n)
		for range procsEvery {
			procs()
		}
		assert.Equal(t, n, procs())
	}
}
