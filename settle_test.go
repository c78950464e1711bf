package synchronicity_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

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
