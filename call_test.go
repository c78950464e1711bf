package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

func TestCallReturnsResult(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			v, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 42, nil })
			require.NoError(t, err)
			assert.Equal(t, 42, v)
			boom := errors.New("boom")
			_, err = sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 0, boom })
			assert.ErrorIs(t, err, boom)
		})
	}
}

// Cancelling the caller's ctx mid-call cancels fn's ctx, and Call still waits
// for fn to return.
func TestCallCallerCancelMidCall(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			started := make(chan struct{})
			returned := false
			go func() { <-started; cancel() }()
			_, err := sy.Call(ctx, l, func(ctx context.Context) (int, error) {
				close(started)
				<-ctx.Done()
				returned = true
				return 0, ctx.Err()
			})
			assert.ErrorIs(t, err, context.Canceled)
			assert.True(t, returned, "Call returned before fn")
		})
	}
}

func TestCallSkipsFnWhenCtxDone(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			boom := errors.New("gave up")
			cancel(boom)
			called := false
			_, err := sy.Call(ctx, l, func(ctx context.Context) (int, error) { called = true; return 1, nil })
			assert.False(t, called)
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorIs(t, err, boom, "the cause is kept")
		})
	}
}

func TestCallPanicRepanicsWithStack(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			boom := errors.New("boom")
			p := catch(func() {
				_, _ = sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { panicky(boom); return 0, nil })
			})
			require.NotNil(t, p)
			assert.Equal(t, boom, p.Value)
			assert.ErrorIs(t, p, boom, "Unwrap reaches an error value")
			assert.Contains(t, string(p.Stack), "panicky", "the stack is the panicking goroutine's")
			// The loop is still usable.
			v, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 7, nil })
			assert.NoError(t, err)
			assert.Equal(t, 7, v)
		})
	}
}

func panicky(v any) { panic(v) }

// catch runs fn and returns the *PanicError it panics with, or nil.
func catch(fn func()) (p *sy.PanicError) {
	defer func() {
		if r := recover(); r != nil {
			p = r.(*sy.PanicError)
		}
	}()
	fn()
	return nil
}

// A blocking call from a serial loop's own goroutine runs inline rather than
// waiting behind the job that made it.
func TestCallReentrantOnSerialLoop(t *testing.T) { goidsRead(t, testCallReentrantOnSerialLoop) }

func testCallReentrantOnSerialLoop(t *testing.T) {
	for _, name := range []string{"serial", "locked"} {
		l := loops(t)[name]
		t.Run(name, func(t *testing.T) {
			depth := func(ctx context.Context) (int, error) { return 1, nil }
			for i := 0; i < 3; i++ {
				inner := depth
				depth = func(ctx context.Context) (int, error) {
					n, err := sy.Call(ctx, l, inner)
					return n + 1, err
				}
			}
			n, err := sy.Call(context.Background(), l, depth)
			require.NoError(t, err)
			assert.Equal(t, 4, n)
			f := sy.Go(context.Background(), l, depth)
			n, err = f.Result()
			require.NoError(t, err)
			assert.Equal(t, 4, n)
		})
	}
}

// Calls from 100 goroutines at once: a serial loop runs them one at a time
// (the race detector checks the unsynchronised counter), a limited loop runs
// at most its limit at once.
func TestCallFromManyGoroutines(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			var (
				plain         int // touched only on serial loops
				running, peak atomic.Int64
				wg            sync.WaitGroup
			)
			serial := name == "serial" || name == "locked"
			for g := 0; g < 100; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 20; i++ {
						v, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
							n := running.Add(1)
							for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
							}
							if serial {
								plain++
							}
							runtime.Gosched()
							running.Add(-1)
							return g*100 + i, nil
						})
						assert.NoError(t, err)
						assert.Equal(t, g*100+i, v)
					}
				}()
			}
			wg.Wait()
			switch name {
			case "serial", "locked":
				assert.Equal(t, 2000, plain)
				assert.EqualValues(t, 1, peak.Load())
			case "limited":
				assert.LessOrEqual(t, peak.Load(), int64(2))
			}
		})
	}
}

func TestWrapBothWays(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			double := sy.Wrap(l, func(ctx context.Context, n int) (int, error) {
				if n < 0 {
					return 0, fmt.Errorf("negative: %d", n)
				}
				return 2 * n, nil
			})
			v, err := double.Call(context.Background(), 21)
			require.NoError(t, err)
			assert.Equal(t, 42, v)
			v, err = double.Go(context.Background(), 4).Result()
			require.NoError(t, err)
			assert.Equal(t, 8, v)
			_, err = double.Call(context.Background(), -1)
			assert.EqualError(t, err, "negative: -1")
		})
	}
}

func TestCallOnDefaultLoop(t *testing.T) {
	v, err := sy.Call(context.Background(), nil, func(ctx context.Context) (string, error) { return "default", nil })
	require.NoError(t, err)
	assert.Equal(t, "default", v)
	assert.Equal(t, "synchronicity.Loop(default)", (*sy.Loop)(nil).String())
	assert.PanicsWithValue(t, "synchronicity.Loop.Close: nil *Loop; the default loop lives as long as the process", func() { (*sy.Loop)(nil).Close() })
}

func TestCallBadInput(t *testing.T) {
	l := sy.New()
	defer l.Close()
	ok := func(ctx context.Context) (int, error) { return 0, nil }
	//lint:ignore SA1012 a nil context is the misuse under test
	assert.PanicsWithValue(t, "synchronicity.Call: nil context (use context.Background())", func() { _, _ = sy.Call(nil, l, ok) })
	assert.PanicsWithValue(t, "synchronicity.Call: nil function", func() { _, _ = sy.Call[int](context.Background(), l, nil) })
	//lint:ignore SA1012 a nil context is the misuse under test
	assert.PanicsWithValue(t, "synchronicity.Go: nil context (use context.Background())", func() { sy.Go(nil, l, ok) })
	assert.PanicsWithValue(t, "synchronicity.Go: nil function", func() { sy.Go[int](context.Background(), l, nil) })
	assert.PanicsWithValue(t, "synchronicity.Wrap: nil function", func() { sy.Wrap[int, int](l, nil) })
	assert.PanicsWithValue(t, "synchronicity.Limit: n must be at least 1, got 0", func() { sy.Limit(0) })
	assert.PanicsWithValue(t, "synchronicity.Limit: n must be at least 1, got -3", func() { sy.Limit(-3) })
	assert.PanicsWithValue(t, "synchronicity.New: nil Option", func() { sy.New(nil) })
	assert.PanicsWithValue(t, "synchronicity.New: Limit cannot be combined with Serial, which runs one task at a time",
		func() { sy.New(sy.Limit(2), sy.Serial()) })
	assert.PanicsWithValue(t, "synchronicity.OnPanic: nil function", func() { sy.OnPanic(nil) })
}

// Nothing fn registers with its context outlives the call, even when the
// caller's context can never end: the context is done once Call returns,
// and an AfterFunc registered on it has run.
func TestCallContextEndsWithTheCall(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			for _, parent := range []context.Context{context.Background(), context.WithValue(context.Background(), key{}, 1)} {
				var kept context.Context
				ran := make(chan struct{})
				_, err := sy.Call(parent, l, func(ctx context.Context) (int, error) {
					kept = ctx
					context.AfterFunc(ctx, func() { close(ran) })
					return 0, nil
				})
				require.NoError(t, err)
				require.ErrorIs(t, kept.Err(), context.Canceled, "fn's context is still live after Call returned")
				<-ran
				assert.Equal(t, parent.Value(key{}), kept.Value(key{}))
			}
		})
	}
}

// On a loop with Limit, calls whose context is already done when their turn
// comes, or ends while they wait for it, give their turn back: afterwards
// calls, futures and Map still run. (A leaked turn would hang the test.)
// TestLimitTurnsComeBackFromEndedContexts checks the same with deadlines
// in a testing/synctest bubble.
func TestLimitGivesBackTurns(t *testing.T) {
	l := sy.New(sy.Limit(2))
	defer l.Close()
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	one := func(context.Context) (int, error) { return 1, nil }
	for range 5 {
		_, err := sy.Call(expired, l, one)
		require.ErrorIs(t, err, context.Canceled)
		_, err = sy.Go(expired, l, one).Result()
		require.ErrorIs(t, err, context.Canceled)
	}
	// Two calls hold both turns; three more wait, and are cancelled.
	hold, held := make(chan struct{}), make(chan struct{}, 2)
	var holders []*sy.Future[int]
	for range 2 {
		holders = append(holders, sy.Go(context.Background(), l, func(context.Context) (int, error) {
			held <- struct{}{}
			<-hold
			return 0, nil
		}))
	}
	<-held
	<-held
	waiting, stop := context.WithCancel(context.Background())
	var waiters []*sy.Future[int]
	for range 3 {
		waiters = append(waiters, sy.Go(waiting, l, one))
	}
	stop()
	for _, f := range waiters {
		_, err := f.Result()
		require.ErrorIs(t, err, context.Canceled)
	}
	close(hold)
	_, err := sy.All(context.Background(), holders...)
	require.NoError(t, err)
	v, err := sy.Call(context.Background(), l, func(context.Context) (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	n := 0
	for _, err := range sy.Map(context.Background(), l, (&upTo{n: 10}).seq, func(_ context.Context, i int) (int, error) { return i, nil }) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 10, n)
}
