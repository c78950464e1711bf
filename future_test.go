package synchronicity_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

func TestFutureDoneResultWait(t *testing.T) {
	l := sy.New()
	defer l.Close()
	release := make(chan struct{})
	f := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) {
		<-release
		return "done", ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Wait(ctx)
	assert.ErrorIs(t, err, context.Canceled, "Wait gives up with its ctx")
	select {
	case <-f.Done():
		t.Fatal("settled before release")
	default:
	}
	close(release)
	<-f.Done()
	v, err := f.Result()
	assert.NoError(t, err, "Wait's ctx did not cancel the task")
	assert.Equal(t, "done", v)
	v, err = f.Wait(ctx)
	assert.NoError(t, err, "a settled future's Wait does not look at ctx")
	assert.Equal(t, "done", v)
}

func TestFutureCancel(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			started := make(chan struct{})
			f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
				close(started)
				<-ctx.Done()
				return 0, context.Cause(ctx)
			})
			<-started
			f.Cancel()
			_, err := f.Result()
			assert.ErrorIs(t, err, context.Canceled)
			f.Cancel() // settled: nothing happens
		})
	}
}

// Many goroutines waiting on one future all see the same outcome.
func TestFutureManyObservers(t *testing.T) {
	l := sy.New()
	defer l.Close()
	release := make(chan struct{})
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { <-release; return 5, nil })
	var wg sync.WaitGroup
	var sum atomic.Int64
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var v int
			switch i % 3 {
			case 0:
				v, _ = f.Result()
			case 1:
				<-f.Done()
				v, _ = f.Result()
			case 2:
				v, _ = f.Wait(context.Background())
			}
			sum.Add(int64(v))
		}()
	}
	close(release)
	wg.Wait()
	assert.EqualValues(t, 500, sum.Load())
}

func TestPromiseFirstSettleWins(t *testing.T) {
	f, settle := sy.NewPromise[int]()
	select {
	case <-f.Done():
		t.Fatal("a new promise is settled")
	default:
	}
	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if settle(i, nil) {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load())
	v, err := f.Result()
	assert.NoError(t, err)
	assert.False(t, settle(v+1, nil), "settling twice reports false")
	again, _ := f.Result()
	assert.Equal(t, v, again, "and changes nothing")

	g, settle := sy.NewPromise[int]()
	g.Cancel()
	_, err = g.Result()
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, settle(1, nil))
}

// waitingTasks starts n tasks that block until cancelled, and returns once
// they are all running. running counts those that have not returned.
func waitingTasks(l *sy.Loop, n int, running *atomic.Int64) []*sy.Future[int] {
	var started sync.WaitGroup
	started.Add(n)
	running.Add(int64(n))
	fs := make([]*sy.Future[int], n)
	for i := range fs {
		fs[i] = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
			defer running.Add(-1)
			started.Done()
			<-ctx.Done()
			return i, ctx.Err()
		})
	}
	started.Wait()
	return fs
}

func TestAll(t *testing.T) {
	l := sy.New()
	defer l.Close()
	t.Run("values in order", func(t *testing.T) {
		fs := make([]*sy.Future[int], 10)
		for i := range fs {
			fs[i] = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return i * i, nil })
		}
		vs, err := sy.All(context.Background(), fs...)
		require.NoError(t, err)
		assert.Equal(t, []int{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}, vs)
		vs, err = sy.All[int](context.Background())
		assert.NoError(t, err)
		assert.Empty(t, vs)
	})
	t.Run("first error cancels the rest and waits", func(t *testing.T) {
		var running atomic.Int64
		boom := errors.New("boom")
		fs := append(waitingTasks(l, 9, &running), sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 0, boom }))
		vs, err := sy.All(context.Background(), fs...)
		assert.Nil(t, vs)
		assert.ErrorIs(t, err, boom)
		assert.Zero(t, running.Load(), "All returned before the siblings it cancelled")
	})
	t.Run("panic cancels the rest, waits, re-panics", func(t *testing.T) {
		var running atomic.Int64
		fs := append(waitingTasks(l, 9, &running), sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { panic("boom") }))
		p := catch(func() { _, _ = sy.All(context.Background(), fs...) })
		require.NotNil(t, p)
		assert.Equal(t, "boom", p.Value)
		assert.Zero(t, running.Load())
	})
	t.Run("ctx ends", func(t *testing.T) {
		var running atomic.Int64
		fs := waitingTasks(l, 5, &running)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := sy.All(ctx, fs...)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, running.Load())
	})
	t.Run("nil future", func(t *testing.T) {
		assert.PanicsWithValue(t, "synchronicity.All: nil *Future at index 1", func() {
			_, _ = sy.All(context.Background(), sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 0, nil }), nil)
		})
	})
}

func TestAny(t *testing.T) {
	l := sy.New()
	defer l.Close()
	t.Run("first success cancels the rest", func(t *testing.T) {
		var running atomic.Int64
		fs := append(waitingTasks(l, 5, &running),
			sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 0, errors.New("nope") }),
			sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 42, nil }))
		v, err := sy.Any(context.Background(), fs...)
		require.NoError(t, err)
		assert.Equal(t, 42, v)
		assert.Zero(t, running.Load())
	})
	t.Run("all fail: errors joined", func(t *testing.T) {
		e1, e2 := errors.New("one"), errors.New("two")
		_, err := sy.Any(context.Background(),
			sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 0, e1 }),
			sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 0, e2 }))
		assert.ErrorIs(t, err, e1)
		assert.ErrorIs(t, err, e2)
	})
	t.Run("none", func(t *testing.T) {
		_, err := sy.Any[int](context.Background())
		assert.EqualError(t, err, "synchronicity.Any: no futures")
	})
	t.Run("panic", func(t *testing.T) {
		p := catch(func() {
			_, _ = sy.Any(context.Background(), sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { panic("any") }))
		})
		require.NotNil(t, p)
		assert.Equal(t, "any", p.Value)
	})
}

// The first future AsCompleted yields is the first to settle, error or
// not; leaving the loop there cancels the rest and waits for them.
func TestAsCompletedRace(t *testing.T) {
	l := sy.New()
	defer l.Close()
	var running atomic.Int64
	boom := errors.New("first")
	fs := append(waitingTasks(l, 5, &running), sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 0, boom }))
	_, err := race(context.Background(), fs...)
	assert.ErrorIs(t, err, boom, "the first to settle wins, error or not")
	assert.Zero(t, running.Load())
	for range sy.AsCompleted[int](context.Background()) {
		t.Fatal("no futures, nothing yielded")
	}
}

func TestAsCompleted(t *testing.T) {
	t.Run("completion order", func(t *testing.T) {
		fs := make([]*sy.Future[int], 5)
		settles := make([]func(int, error) bool, 5)
		for i := range fs {
			fs[i], settles[i] = sy.NewPromise[int]()
		}
		order := []int{3, 0, 4, 1, 2}
		settles[order[0]](order[0], nil)
		var got []int
		for _, f := range sy.AsCompleted(context.Background(), fs...) {
			v, err := f.Result()
			require.NoError(t, err)
			got = append(got, v)
			if len(got) < len(order) {
				settles[order[len(got)]](order[len(got)], nil)
			}
		}
		assert.Equal(t, order, got)
	})
	t.Run("break cancels the rest and waits", func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		var running atomic.Int64
		fs := append(waitingTasks(l, 5, &running), sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 9, nil }))
		for _, f := range sy.AsCompleted(context.Background(), fs...) {
			v, err := f.Result()
			assert.NoError(t, err)
			assert.Equal(t, 9, v)
			break
		}
		assert.Zero(t, running.Load())
	})
}

// Done racing settle closes its channel exactly once.
func TestFutureDoneRacesSettle(t *testing.T) {
	for range 10_000 {
		f, settle := sy.NewPromise[int]()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); settle(1, nil) }()
		go func() { defer wg.Done(); <-f.Done() }()
		wg.Wait()
	}
}

// When ctx ends, AsCompleted yields nothing more, and the futures still
// pending are cancelled and waited for before the range statement ends.
func TestAsCompletedContextEnds(t *testing.T) {
	l := sy.New()
	defer l.Close()
	var running atomic.Int64
	quick := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { return 7, nil })
	fs := append([]*sy.Future[int]{quick}, waitingTasks(l, 3, &running)...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []int
	for i, f := range sy.AsCompleted(ctx, fs...) {
		v, err := f.Result()
		require.NoError(t, err)
		got = append(got, i, v)
		cancel()
	}
	assert.Equal(t, []int{0, 7}, got, "the index beside the future")
	assert.Zero(t, running.Load(), "the rest were cancelled and waited for")
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
}
