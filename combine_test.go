package synchronicity_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sy "github.com/synchronicity-go/synchronicity"
)

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

func TestSettle(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) { testSettle(t, l, name == "serial" || name == "locked") })
	}
}

func testSettle(t *testing.T, l *sy.Loop, serial bool) {
	ctx := context.Background()
	t.Run("values in order", func(t *testing.T) {
		fs := make([]*sy.Future[int], 10)
		for i := range fs {
			fs[i] = sy.Go(ctx, l, func(ctx context.Context) (int, error) { return i * i, nil })
		}
		vs, errs := sy.Settle(ctx, fs...)
		assert.Equal(t, []int{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}, vs)
		assert.Equal(t, make([]error, 10), errs)
		vs, errs = sy.Settle[int](ctx)
		assert.Empty(t, vs)
		assert.Empty(t, errs)
	})
	t.Run("ctx ends first", func(t *testing.T) {
		if serial {
			t.Skip("a serial loop runs one task at a time: a task that waits holds it")
		}
		done := sy.Go(ctx, l, func(ctx context.Context) (int, error) { return 7, nil })
		<-done.Done()
		var running atomic.Int64
		waiting := waitingTasks(l, 1, &running)
		wctx, cancel := context.WithCancel(ctx)
		cancel()
		vs, errs := sy.Settle(wctx, waiting[0], done)
		assert.Equal(t, []int{0, 7}, vs)
		assert.Equal(t, []error{context.Canceled, nil}, errs)
		assert.EqualValues(t, 1, running.Load(), "Settle cancels nothing, even when it stops waiting")
		for _, f := range waiting {
			f.Cancel()
			_, err := f.Result()
			assert.ErrorIs(t, err, context.Canceled)
		}
		assert.Zero(t, running.Load())
	})
	t.Run("ctx done but all settled", func(t *testing.T) {
		f := sy.Go(ctx, l, func(ctx context.Context) (int, error) { return 1, nil })
		<-f.Done()
		wctx, cancel := context.WithCancel(ctx)
		cancel()
		vs, errs := sy.Settle(wctx, f)
		assert.Equal(t, []int{1}, vs)
		assert.Equal(t, []error{nil}, errs)
	})
	t.Run("nil future", func(t *testing.T) {
		assert.PanicsWithValue(t, "synchronicity.Settle: nil *Future at index 0", func() { sy.Settle[int](ctx, nil) })
		assert.PanicsWithValue(t, "synchronicity.Settle: nil context (use context.Background())", func() {
			var nilCtx context.Context
			sy.Settle[int](nilCtx)
		})
	})
}

// A panic reaches exactly one observer: Settle re-panics, once every future
// has settled, with all the panics joined, and the loop's Close has none
// left to report.
func TestSettlePanic(t *testing.T) {
	l := sy.New()
	ctx := context.Background()
	release := make(chan struct{})
	var finished atomic.Bool
	fs := []*sy.Future[int]{
		sy.Go(ctx, l, func(ctx context.Context) (int, error) { return 0, nil }),
		sy.Go(ctx, l, func(ctx context.Context) (int, error) { panic("first") }),
		sy.Go(ctx, l, func(ctx context.Context) (int, error) {
			<-release
			finished.Store(true)
			return 2, nil
		}),
		sy.Go(ctx, l, func(ctx context.Context) (int, error) { panic("second") }),
	}
	<-fs[1].Done()
	<-fs[3].Done()
	close(release)
	p := catch(func() { sy.Settle(ctx, fs...) })
	require.NotNil(t, p)
	msg := p.Error()
	assert.Contains(t, msg, "panic: first")
	assert.Contains(t, msg, "panic: second")
	assert.Less(t, strings.Index(msg, "panic: first"), strings.Index(msg, "panic: second"), "in index order")
	assert.True(t, finished.Load(), "Settle waited for the others and cancelled none")
	require.NoError(t, l.Close(), "observed panics are not reported again")
}
