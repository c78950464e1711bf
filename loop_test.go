package synchronicity_test

import (
	"bytes"
	"context"
	"errors"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// Close with 10,000 tasks in flight: every task sees cancellation with cause
// ErrClosed and returns before Close does; later work gets ErrClosed.
func TestCloseWithTasksInFlight(t *testing.T) {
	for _, kind := range []string{"concurrent", "limited", "serial"} {
		t.Run(kind, func(t *testing.T) {
			l := loops(t)[kind]
			const n = 10_000
			var started, returned atomic.Int64
			fs := make([]*sy.Future[int], n)
			for i := range fs {
				fs[i] = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
					started.Add(1)
					defer returned.Add(1)
					<-ctx.Done()
					assert.ErrorIs(t, context.Cause(ctx), sy.ErrClosed)
					return i, ctx.Err()
				})
			}
			require.NoError(t, l.Close())
			assert.Equal(t, started.Load(), returned.Load(), "Close returned before its tasks")
			for i, f := range fs {
				select {
				case <-f.Done():
				default:
					t.Fatalf("future %d not settled after Close", i)
				}
				_, err := f.Result()
				require.ErrorIs(t, err, sy.ErrClosed, "future %d", i)
				require.ErrorIs(t, err, context.Canceled, "future %d", i)
			}
			_, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 1, nil })
			assert.ErrorIs(t, err, sy.ErrClosed)
			assert.EqualError(t, err, "synchronicity.Call: synchronicity: loop closed")
			_, err = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 1, nil }).Result()
			assert.ErrorIs(t, err, sy.ErrClosed)
		})
	}
}

// Close is idempotent and safe from many goroutines: all calls wait and
// return the same error.
func TestCloseIdempotent(t *testing.T) {
	l := sy.New()
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { panic("lost") })
	<-f.Done()
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = l.Close() }()
	}
	wg.Wait()
	var p *sy.PanicError
	require.ErrorAs(t, errs[0], &p)
	assert.Equal(t, "lost", p.Value)
	for _, err := range errs {
		assert.Same(t, errs[0], err)
	}
}

// A panic nobody observes reaches the OnPanic handler and Close's result,
// once; an observed one does not.
func TestCloseReportsUnobservedPanics(t *testing.T) {
	var handled []any
	l := sy.New(sy.OnPanic(func(p *sy.PanicError) { handled = append(handled, p.Value) }))
	lost := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { panic("lost") })
	seen := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { panic("seen") })
	<-lost.Done()
	assert.NotNil(t, catch(func() { _, _ = seen.Result() }))
	err := l.Close()
	var p *sy.PanicError
	require.ErrorAs(t, err, &p)
	assert.Equal(t, "lost", p.Value)
	assert.NotContains(t, err.Error(), "panic: seen")
	assert.Equal(t, []any{"lost"}, handled)
	assert.Same(t, err, l.Close())
	assert.Equal(t, []any{"lost"}, handled, "the handler runs once per panic")
}

// Shutdown lets work in flight finish by itself while refusing new work.
func TestShutdownWaitsForWork(t *testing.T) {
	l := sy.New()
	release := make(chan struct{})
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
		<-release
		return 1, context.Cause(ctx) // nil: Shutdown did not cancel it
	})
	done := make(chan error)
	go func() { done <- l.Shutdown(context.Background()) }()
	waitClosed(l)
	close(release)
	require.NoError(t, <-done)
	v, err := f.Result()
	assert.NoError(t, err)
	assert.Equal(t, 1, v)
}

// When Shutdown's ctx ends first, it cancels the work like Close.
func TestShutdownGivesUp(t *testing.T) {
	l := sy.New()
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- l.Shutdown(ctx) }()
	waitClosed(l)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	_, err := f.Result()
	assert.ErrorIs(t, err, sy.ErrClosed)
}

// waitClosed waits until l refuses new work.
func waitClosed(l *sy.Loop) {
	for {
		_, err := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 0, nil }).Result()
		if errors.Is(err, sy.ErrClosed) {
			return
		}
	}
}

func TestLoopContext(t *testing.T) {
	l := sy.New(sy.Name("ctx"))
	assert.NoError(t, l.Context().Err())
	assert.Equal(t, "synchronicity.Loop(ctx)", l.String())
	require.NoError(t, l.Close())
	assert.ErrorIs(t, context.Cause(l.Context()), sy.ErrClosed)
}

// Every task carries a pprof label naming its loop, on whichever goroutine
// runs it.
func TestTasksCarryLoopLabel(t *testing.T) {
	for name, l := range map[string]*sy.Loop{
		"concurrent": sy.New(sy.Name("labelled-concurrent")),
		"serial":     sy.New(sy.Name("labelled-serial"), sy.Serial()),
	} {
		t.Run(name, func(t *testing.T) {
			defer l.Close()
			want := `"synchronicity.loop":"labelled-` + name + `"`
			dump := func(ctx context.Context) (string, error) {
				var b bytes.Buffer
				err := pprof.Lookup("goroutine").WriteTo(&b, 1)
				return b.String(), err
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := sy.Call(ctx, l, dump)
			require.NoError(t, err)
			assert.Contains(t, s, want, "Call")
			s, err = sy.Go(ctx, l, dump).Result()
			require.NoError(t, err)
			assert.Contains(t, s, want, "Go")
		})
	}
}

// A serial loop runs work in submission order.
func TestSerialLoopKeepsOrder(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	var order []int
	fs := make([]*sy.Future[int], 1000)
	for i := range fs {
		fs[i] = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
			order = append(order, i)
			return i, nil
		})
	}
	vs, err := sy.All(context.Background(), fs...)
	require.NoError(t, err)
	require.Len(t, order, len(fs))
	for i := range order {
		require.Equal(t, i, order[i])
		require.Equal(t, i, vs[i])
	}
}

// Close cancels a task whose context carries the loop's values but not its
// cancellation.
func TestCloseCancelsTaskWithLoopValuesOnly(t *testing.T) {
	l := sy.New()
	ctx, cancel := context.WithCancel(context.WithoutCancel(l.Context()))
	defer cancel()
	f := sy.Go(ctx, l, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, context.Cause(ctx) })
	require.NoError(t, l.Close())
	_, err := f.Result()
	assert.ErrorIs(t, err, sy.ErrClosed)
}

// A task cancelled by its parent keeps that cause after the loop closes.
func TestCauseParentBeforeLoop(t *testing.T) {
	l := sy.New()
	mine := errors.New("mine")
	ctx, cancel := context.WithCancelCause(context.Background())
	started, parentDone, closed := make(chan struct{}), make(chan struct{}), make(chan struct{})
	f := sy.Go(ctx, l, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		close(parentDone)
		<-closed
		return 0, context.Cause(ctx)
	})
	<-started // a task whose context ended before it started never runs
	cancel(mine)
	<-parentDone
	done := make(chan error)
	go func() { done <- l.Close() }()
	<-l.Context().Done() // the loop's cancellation has come too
	close(closed)
	_, err := f.Result()
	assert.ErrorIs(t, err, mine)
	assert.NoError(t, <-done)
}
