package synchronicity_test

import (
	"context"
	"fmt"
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

// Ported from test/synchronicity_test.py of the Python library,
// test_async_cancellation, case 1: Cancel reaches the running function
// through its context, the function handles it, and the cancellation
// comes back out of Result — on every kind of loop.
func TestAsyncCancellation(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			var states []string
			ready := make(chan struct{})
			f := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) {
				states = append(states, "ready")
				close(ready)
				<-ctx.Done()
				states = append(states, "cancelled", "handled cancellation")
				return "", ctx.Err()
			})
			<-ready
			f.Cancel()
			_, err := f.Result()
			assert.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, []string{"ready", "cancelled", "handled cancellation"}, states)
		})
	}
}

// Ported from test_async_cancel_completes_successfully_still_cancels, with
// a deliberate difference: cancellation is cooperative, so a task that
// finishes anyway after Cancel settles with what it returned (the Python
// library raises CancelledError; Go code returns ctx.Err() when it wants a
// cancelled outcome). One that had not started when Cancel came is never
// called, and settles with context.Canceled.
func TestAsyncCancelCompletesSuccessfullyStillCancels(t *testing.T) {
	l := sy.New(sy.Limit(1))
	defer l.Close()
	started, release := make(chan struct{}), make(chan struct{})
	stubborn := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		<-release
		return 7, nil // finishes anyway
	})
	<-started
	called := false
	queued := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
		called = true
		return 1, nil
	})
	queued.Cancel()
	stubborn.Cancel()
	close(release)
	v, err := stubborn.Result()
	assert.Equal(t, 7, v)
	assert.NoError(t, err, "what the task returned")
	_, err = queued.Result()
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, called, "a task cancelled before its turn is not called")
}

// On a serial or locked loop's own goroutine, waiting for the loop's own
// future runs its task there and then if it has not started — as awaiting
// a task's future inside the event loop works in the Python library — and
// only that task: work queued before it keeps its place. Every way to wait
// does so: Result, Wait, All, Any, AsCompleted and Settle.
func TestSerialWaitOnOwnFutureRunsIt(t *testing.T) {
	waits := map[string]func(fs ...*sy.Future[int]) []int{
		"Result": func(fs ...*sy.Future[int]) (out []int) {
			for _, f := range fs {
				v, err := f.Result()
				require.NoError(t, err)
				out = append(out, v)
			}
			return out
		},
		"Wait": func(fs ...*sy.Future[int]) (out []int) {
			for _, f := range fs {
				v, err := f.Wait(context.Background())
				require.NoError(t, err)
				out = append(out, v)
			}
			return out
		},
		"All": func(fs ...*sy.Future[int]) []int {
			vs, err := sy.All(context.Background(), fs...)
			require.NoError(t, err)
			return vs
		},
		"Settle": func(fs ...*sy.Future[int]) []int {
			vs, errs := sy.Settle(context.Background(), fs...)
			assert.Equal(t, []error{nil, nil}, errs)
			return vs
		},
		"AsCompleted": func(fs ...*sy.Future[int]) []int {
			out := make([]int, len(fs))
			for i, f := range sy.AsCompleted(context.Background(), fs...) {
				out[i], _ = f.Result()
			}
			return out
		},
	}
	for _, kind := range []string{"serial", "locked"} {
		for name, wait := range waits {
			t.Run(kind+"/"+name, func(t *testing.T) {
				opt := sy.Serial()
				if kind == "locked" {
					opt = sy.LockOSThread()
				}
				l := sy.New(opt)
				defer l.Close()
				var order []string // touched only on the loop's goroutine
				got, err := sy.Call(context.Background(), l, func(ctx context.Context) ([]int, error) {
					earlier := sy.Go(ctx, l, func(context.Context) (int, error) { order = append(order, "earlier"); return 0, nil })
					a := sy.Go(ctx, l, func(context.Context) (int, error) { order = append(order, "a"); return 1, nil })
					b := sy.Go(ctx, l, func(context.Context) (int, error) { order = append(order, "b"); return 2, nil })
					vs := wait(a, b)
					order = append(order, "waited")
					_, _ = earlier.Result()
					return vs, nil
				})
				require.NoError(t, err)
				assert.Equal(t, []int{1, 2}, got)
				assert.Equal(t, []string{"a", "b", "waited", "earlier"}, order, "only the awaited tasks ran ahead of their turn")
			})
		}
	}
	// A task waiting for its own future waits for itself: that still panics.
	l := sy.New(sy.Serial())
	defer l.Close()
	var self *sy.Future[int]
	ready := make(chan struct{})
	self = sy.Go(context.Background(), l, func(context.Context) (int, error) {
		<-ready
		_, err := self.Result()
		return 0, err
	})
	close(ready)
	pe := catchPanic(t, func() { self.Result() })
	assert.Contains(t, fmt.Sprint(pe.Value), "synchronicity.Future.Result: called on the goroutine of")
}

// Ported from test/synchronicity_test.py, test_async_inner_still_translates:
// a loop's work awaits another function's async form on the same loop — a
// future, a stream — and gets its value, on every kind of loop. (On a
// serial or locked loop the awaited work runs on the loop's goroutine
// there and then; TestSerialWaitOnOwnFutureRunsIt pins the order.)
func TestAsyncInnerStillTranslates(t *testing.T) {
	type v struct{ n int }
	inner := func(context.Context) (*v, error) { return &v{n: 7}, nil }
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			got, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
				a, err := sy.Go(ctx, l, inner).Result()
				if err != nil {
					return 0, err
				}
				s := sy.Start(ctx, l, func(ctx context.Context, yield func(*v) bool) error {
					yield(&v{n: 8})
					return nil
				})
				sum := a.n
				for b, err := range s.Seq() {
					if err != nil {
						return 0, err
					}
					sum += b.n
				}
				return sum, s.Stop()
			})
			require.NoError(t, err)
			assert.Equal(t, 15, got)
		})
	}
}
