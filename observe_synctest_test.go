//go:build go1.25

package synchronicity_test

import (
	"context"
	"log/slog"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// ReportSlow reports, once, work that holds a serial loop's goroutine for
// longer than its threshold — its name, how long, how many jobs wait
// behind it — and nothing that ends in time; Stats shows the lag the jobs
// behind it had.
func TestReportSlow(t *testing.T) {
	for _, opt := range []sy.Option{sy.Serial(), sy.LockOSThread()} {
		synctest.Test(t, func(t *testing.T) {
			recs := newRecords()
			l := sy.New(opt, sy.Name("ui"), sy.ReportSlow(100*time.Millisecond), sy.Logger(slog.New(recs)))
			ctx := context.Background()
			sy.Call(ctx, l, func(context.Context) (int, error) { time.Sleep(90 * time.Millisecond); return 0, nil })
			synctest.Wait()
			assert.Empty(t, recs.all(), "work that ends in time is not reported")

			slow := sy.Go(sy.WithName(ctx, "render"), l, func(context.Context) (int, error) { time.Sleep(time.Second); return 0, nil })
			behind := sy.Go(ctx, l, func(context.Context) (int, error) { return 1, nil })
			time.Sleep(200 * time.Millisecond)
			synctest.Wait()
			got := recs.all()
			require.Len(t, got, 1)
			r := got[0]
			assert.Equal(t, "synchronicity: slow work holds a serial loop", r["msg"])
			assert.Equal(t, "ui", r["loop"])
			assert.Equal(t, "Go render", r["work"])
			assert.Equal(t, "1", r["queued"])
			assert.Equal(t, "100ms", r["threshold"])
			held, err := time.ParseDuration(r["held"])
			require.NoError(t, err)
			assert.GreaterOrEqual(t, held, 100*time.Millisecond)
			assert.LessOrEqual(t, held, 200*time.Millisecond)

			_, err = slow.Result()
			require.NoError(t, err)
			_, err = behind.Result()
			require.NoError(t, err)
			assert.Len(t, recs.all(), 1, "reported once")
			require.NoError(t, l.Close())
		})
	}
}

// Stats' QueueWait is a serial loop's lag: a job queued behind a second of
// work waited about that second.
func TestStatsLag(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		l := sy.New(sy.Serial())
		defer l.Close()
		// With a trace being recorded every piece of work is timed; without,
		// one in 32: enough pieces make sure a queued one is.
		sy.Go(ctx, l, func(context.Context) (int, error) { time.Sleep(time.Second); return 0, nil })
		fs := make([]*sy.Future[int], 1000)
		for i := range fs {
			fs[i] = sy.Go(ctx, l, func(context.Context) (int, error) { return 0, nil })
		}
		_, err := sy.All(ctx, fs...)
		require.NoError(t, err)
		s := l.Stats()
		n := s.QueueWait.Count()
		require.Positive(t, n)
		slowest := s.QueueWait[len(s.QueueWait)-2] + s.QueueWait[len(s.QueueWait)-1]
		assert.Positive(t, s.QueueWait[6]+slowest, "at least one waited about a second: %v", s.QueueWait)
	})
}

// Stats counts the calls waiting for a turn under Limit.
func TestStatsWaitingUnderLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		l := sy.New(sy.Limit(1))
		defer l.Close()
		release := make(chan struct{})
		held := func(context.Context) (int, error) { <-release; return 1, nil }
		first, second, third := sy.Go(ctx, l, held), sy.Go(ctx, l, held), sy.Go(ctx, l, held)
		synctest.Wait() // one has the turn, whichever came first, and two wait for it
		assert.Equal(t, 2, l.Stats().Waiting)
		assert.Equal(t, 3, l.Stats().InFlight)
		releaseAndDrain(t, l, release, first, second, third)
	})
}

// A job that ends in runtime.Goexit no longer holds the loop: ReportSlow
// does not report it afterwards.
func TestReportSlowAfterGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		recs := newRecords()
		l := sy.New(sy.Serial(), sy.ReportSlow(100*time.Millisecond), sy.Logger(slog.New(recs)))
		f := sy.Go(context.Background(), l, func(context.Context) (int, error) { runtime.Goexit(); return 0, nil })
		_, err := f.Result()
		require.Error(t, err)
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Empty(t, recs.all(), "a job that has ended is not reported")
		require.NoError(t, l.Close())
	})
}
