package synchronicity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// records is a slog.Handler that keeps what it is given, for a test to read.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
	got  chan struct{}
}

func newRecords() *records { return &records{got: make(chan struct{}, 16)} }

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	select {
	case r.got <- struct{}{}:
	default:
	}
	return nil
}

// all returns the records so far, each as its message and attributes.
func (r *records) all() []map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]string
	for _, rec := range r.recs {
		m := map[string]string{"msg": rec.Message, "level": rec.Level.String()}
		rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

// Stats counts every piece of work once, by how it ended, on every kind of
// loop; with nothing in flight, InFlight and Waiting are 0.
func TestStatsCounts(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			sy.Call(ctx, l, func(context.Context) (int, error) { return 1, nil })
			sy.Call(ctx, l, func(context.Context) (int, error) { return 0, boom })
			sy.Go(ctx, l, func(context.Context) (int, error) { return 1, nil }).Result()
			catchPanic(t, func() { sy.Go(ctx, l, func(context.Context) (int, error) { panic("p") }).Result() })
			done, cancel := context.WithCancel(ctx)
			cancel()
			sy.Go(done, l, func(context.Context) (int, error) { return 1, nil }).Result()
			_, err := collect(sy.Seq(ctx, l, (&counter{n: 3}).produce))
			require.NoError(t, err)
			for range sy.Map(ctx, l, slices.Values([]int{1, 2}), func(_ context.Context, v int) (int, error) {
				if v == 2 {
					return 0, boom
				}
				return v, nil
			}) {
			}
			s := l.Stats()
			assert.EqualValues(t, 7, s.Started)
			assert.EqualValues(t, 3, s.Succeeded, "Call, Go, Seq")
			assert.EqualValues(t, 2, s.Failed, "Call, Map")
			assert.EqualValues(t, 1, s.Canceled)
			assert.EqualValues(t, 1, s.Panicked)
			assert.Zero(t, s.InFlight)
			assert.Zero(t, s.Waiting)
		})
	}
}

// Stats shows the work in flight and the jobs waiting in a serial loop's
// queue (TestStatsWaitingUnderLimit has the calls waiting under Limit).
func TestStatsWaiting(t *testing.T) {
	ctx := context.Background()
	eachSerialLoop(t, func(t *testing.T, l *sy.Loop) {
		started, release := make(chan struct{}), make(chan struct{})
		first := sy.Go(ctx, l, blockedTask(started, release))
		<-started // running: out of the queue
		// Go queues its job before it returns.
		second := sy.Go(ctx, l, func(context.Context) (int, error) { return 2, nil })
		third := sy.Go(ctx, l, func(context.Context) (int, error) { return 3, nil })
		assert.Equal(t, 2, l.Stats().Waiting)
		assert.Equal(t, 3, l.Stats().InFlight)
		releaseAndDrain(t, l, release, first, second, third)
	})
}

// A job that ran ahead of its turn (a wait for it on the loop's own
// goroutine ran it there) no longer counts as waiting.
func TestStatsWaitingAfterRunAhead(t *testing.T) {
	ctx := context.Background()
	eachSerialLoop(t, func(t *testing.T, l *sy.Loop) {
		waiting, err := sy.Call(ctx, l, func(context.Context) (int, error) {
			a := sy.Go(ctx, l, func(context.Context) (int, error) { return 1, nil })
			sy.Go(ctx, l, func(context.Context) (int, error) { return 2, nil })
			if v, err := a.Result(); v != 1 || err != nil { // runs a here, ahead of b
				return 0, fmt.Errorf("a: %v, %v", v, err)
			}
			return l.Stats().Waiting, nil
		})
		require.NoError(t, err)
		assert.Equal(t, 1, waiting, "b alone waits")
	})
}

// releaseAndDrain lets the held work go, waits for fs, and checks that
// Stats then shows nothing in flight or waiting, and each of fs succeeded.
func releaseAndDrain(t *testing.T, l *sy.Loop, release chan struct{}, fs ...*sy.Future[int]) {
	t.Helper()
	close(release)
	for _, f := range fs {
		_, err := f.Result()
		require.NoError(t, err)
	}
	s := l.Stats()
	assert.Zero(t, s.Waiting)
	assert.Zero(t, s.InFlight)
	assert.EqualValues(t, len(fs), s.Succeeded)
}

// Stats times a sample of the work: of 2,000 calls, some and not all.
func TestStatsTimesASample(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	for range 2000 {
		sy.Go(context.Background(), l, func(context.Context) (int, error) { return 1, nil }).Result()
	}
	s := l.Stats()
	n := s.RunTime.Count()
	assert.Positive(t, n)
	assert.Less(t, n, uint64(2000))
	assert.Equal(t, n, s.QueueWait.Count(), "each sample has both")
}

func TestHistogram(t *testing.T) {
	var h sy.Histogram
	assert.Zero(t, h.Quantile(0.5))
	h = sy.Histogram{0, 3, 1, 0, 0, 0, 0, 0, 0} // three under 10µs, one under 100µs
	assert.EqualValues(t, 4, h.Count())
	assert.Equal(t, 10*time.Microsecond, h.Quantile(0.5))
	assert.Equal(t, 10*time.Microsecond, h.Quantile(0.75))
	assert.Equal(t, 100*time.Microsecond, h.Quantile(1))
	h[8] = 4 // four of 10s and more
	assert.Equal(t, time.Duration(1<<63-1), h.Quantile(0.9), "the last bucket has no bound")
}

// WithName names work in PanicError, in the report of a stuck Close and in
// the goroutine's pprof labels; without it, work is known by its
// function's name.
func TestWithName(t *testing.T) {
	ctx := sy.WithName(context.Background(), "resize")
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			pe := catchPanic(t, func() {
				sy.Call(ctx, l, func(context.Context) (int, error) { panic("p") })
			})
			assert.Equal(t, "Call resize", pe.Work)
			assert.Contains(t, pe.Error(), "in Call resize\n")

			pe = catchPanic(t, func() {
				sy.Go(context.Background(), l, panicsInNamedFunction).Result()
			})
			assert.Equal(t, "Go github.com/synchronicity-go/synchronicity_test.panicsInNamedFunction", pe.Work)

			var profile bytes.Buffer
			sy.Call(ctx, l, func(context.Context) (int, error) {
				return 0, pprof.Lookup("goroutine").WriteTo(&profile, 1)
			})
			assert.Contains(t, profile.String(), `"synchronicity.work":"resize"`)
		})
	}
	assert.PanicsWithValue(t, "synchronicity.WithName: empty name", func() { sy.WithName(context.Background(), "") })
}

func panicsInNamedFunction(context.Context) (int, error) { panic("p") }

// With RecordSites a PanicError and the report of a stuck Close say where
// the work was started; without it they do not.
func TestRecordSites(t *testing.T) {
	ctx := context.Background()
	l := sy.New(sy.RecordSites(), sy.Serial())
	pe := catchPanic(t, func() { sy.Go(ctx, l, panicsInNamedFunction).Result() })
	assert.Contains(t, pe.Started, "synchronicity_test.TestRecordSites\n")
	assert.Contains(t, pe.Started, "observe_test.go:")
	assert.NotContains(t, pe.Started, "synchronicity.Go[", "the package's frames are left out")
	assert.Contains(t, pe.Error(), "work started at:\ngithub.com/synchronicity-go/synchronicity_test.TestRecordSites")

	r := captureReports(t)
	defer sy.SetStuckAfter(time.Millisecond)()
	started, release := make(chan struct{}), make(chan struct{})
	sy.Go(ctx, l, blockedTask(started, release))
	<-started
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	<-r.wrote
	close(release)
	require.NoError(t, <-closed)
	assert.Contains(t, r.String(), "  started at:\n    github.com/synchronicity-go/synchronicity_test.TestRecordSites\n")

	plain := sy.New()
	defer plain.Close()
	pe = catchPanic(t, func() { sy.Go(ctx, plain, panicsInNamedFunction).Result() })
	assert.Empty(t, pe.Started)
}

// With a Logger, reports are records: a stuck Close, and a panic nobody
// observed, with what they are about in attributes.
func TestLogger(t *testing.T) {
	recs := newRecords()
	l := sy.New(sy.Name("logged"), sy.Logger(slog.New(recs)))
	defer sy.SetStuckAfter(time.Millisecond)()
	lostOne := sy.Go(sy.WithName(context.Background(), "lost"), l, func(context.Context) (int, error) { panic("nobody looks") })
	<-lostOne.Done()
	defer runtime.KeepAlive(lostOne) // so that Close, not the garbage collector, reports it
	started, release := make(chan struct{}), make(chan struct{})
	sy.Go(sy.WithName(context.Background(), "stuck"), l, blockedTask(started, release))
	<-started
	closed := make(chan error)
	go func() { closed <- l.Close() }()
	<-recs.got
	close(release)
	var pe *sy.PanicError
	require.ErrorAs(t, <-closed, &pe)
	got := recs.all()
	require.Len(t, got, 2)
	stuck, lost := got[0], got[1]
	assert.Equal(t, "synchronicity: Close waits for work that does not end", stuck["msg"])
	assert.Equal(t, "WARN", stuck["level"])
	assert.Equal(t, "logged", stuck["loop"])
	assert.Contains(t, stuck["work"], "Go stuck, running for at most")
	assert.Equal(t, "synchronicity: a panic nobody observed", lost["msg"])
	assert.Equal(t, "ERROR", lost["level"])
	assert.Equal(t, "Go lost", lost["work"])
	assert.Equal(t, "nobody looks", lost["panic"])
	assert.Contains(t, lost["stack"], "TestLogger.func")

	assert.PanicsWithValue(t, "synchronicity.Logger: nil *slog.Logger", func() { sy.Logger(nil) })
}

// A Logger that panics does not make a report a panic: its panic and the
// report go to standard error.
func TestLoggerPanics(t *testing.T) {
	r := captureReports(t)
	l := sy.New(sy.Logger(slog.New(&panickyHandler{})))
	f := sy.Go(context.Background(), l, func(context.Context) (int, error) { panic("unobserved") })
	<-f.Done()
	var pe *sy.PanicError
	require.ErrorAs(t, l.Close(), &pe)
	runtime.KeepAlive(f) // so that Close, not the garbage collector, reports it
	assert.Contains(t, r.String(), "the Logger panicked: handler broke")
	assert.Contains(t, r.String(), "a panic nobody observed\npanic: unobserved")
}

type panickyHandler struct{ records }

func (*panickyHandler) Handle(context.Context, slog.Record) error { panic("handler broke") }

func TestObserveOptionsMisuse(t *testing.T) {
	assert.PanicsWithValue(t, "synchronicity.ReportSlow: d must be positive, got 0s", func() { sy.ReportSlow(0) })
}

// With runtime/trace on, every form still does what it does without it —
// values, errors, panics, waits for a turn — on every kind of loop. (What
// the trace holds is checked where it is read, in examples/observe.)
func TestTracedWork(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("a trace is being recorded already (go test -trace)")
	}
	var out bytes.Buffer
	require.NoError(t, trace.Start(&out))
	defer trace.Stop()
	ctx := context.Background()
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			v, err := sy.Call(ctx, l, func(context.Context) (int, error) { return 1, nil })
			require.NoError(t, err)
			assert.Equal(t, 1, v)
			fs := make([]*sy.Future[int], 8)
			for i := range fs {
				fs[i] = sy.Go(ctx, l, func(ctx context.Context) (int, error) { return i, nil })
			}
			vs, err := sy.All(ctx, fs...)
			require.NoError(t, err)
			assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, vs)
			got, err := collect(sy.Seq(ctx, l, (&counter{n: 3}).produce))
			require.NoError(t, err)
			assert.Equal(t, []int{0, 1, 2}, got)
			s := sy.Start(ctx, l, (&counter{n: 2}).produce)
			got, err = collect(s.Seq())
			require.NoError(t, err)
			assert.Equal(t, []int{0, 1}, got)
			got, err = collect(sy.Map(ctx, l, slices.Values([]int{1, 2}), func(_ context.Context, v int) (int, error) { return v * 2, nil }))
			require.NoError(t, err)
			assert.Equal(t, []int{2, 4}, got)
			pe := catchPanic(t, func() { sy.Call(ctx, l, panicsInNamedFunction) })
			assert.Contains(t, pe.Work, "panicsInNamedFunction")
			err = sy.Do(ctx, sy.OnLoop(l, sy.Scoped(func(ctx context.Context, yield func(int) error) error { return yield(1) })), func(int) error { return nil })
			require.NoError(t, err)
		})
	}
	trace.Stop()
	assert.Positive(t, out.Len())
}
