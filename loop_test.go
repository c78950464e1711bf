package synchronicity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"slices"
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
	l := sy.New(sy.OnPanic(func(*sy.PanicError) {}))
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { panic("lost") })
	defer runtime.KeepAlive(f) // collected, it would be reported before Close
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
	defer runtime.KeepAlive(lost) // collected, it would be reported before Close
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
func TestTasksCarryLoopLabel(t *testing.T) { bothContexts(t, testTasksCarryLoopLabel) }

func testTasksCarryLoopLabel(t *testing.T) {
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
func TestSerialLoopKeepsOrder(t *testing.T) { bothGoids(t, testSerialLoopKeepsOrder) }

func testSerialLoopKeepsOrder(t *testing.T) {
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

// Work queued by many goroutines at once runs one at a time, each
// goroutine's in the order it queued it, and none is lost or run twice.
func TestSerialLoopKeepsEachCallersOrder(t *testing.T) {
	eachSerialLoop(t, func(t *testing.T, l *sy.Loop) {
		const callers, each = 8, 500
		last := make([]int, callers) // touched by the loop's goroutine only
		for g := range last {
			last[g] = -1
		}
		var running atomic.Int32
		var wg sync.WaitGroup
		for g := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fs := make([]*sy.Future[int], each)
				for i := range fs {
					fs[i] = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
						if running.Add(1) != 1 {
							t.Error("two jobs ran at once")
						}
						defer running.Add(-1)
						if last[g] != i-1 {
							t.Errorf("caller %d: job %d ran after job %d", g, i, last[g])
						}
						last[g] = i
						return i, nil
					})
				}
				vs, err := sy.All(context.Background(), fs...)
				assert.NoError(t, err)
				assert.Len(t, vs, each)
			}()
		}
		wg.Wait()
		require.NoError(t, l.Close())
		for g := range last {
			assert.Equal(t, each-1, last[g])
		}
		assert.Equal(t, uint64(callers*each), l.Stats().Succeeded)
	})
}

// Close cancels a task whose context carries the loop's values but not its
// cancellation.
func TestCloseCancelsTaskWithLoopValuesOnly(t *testing.T) {
	bothContexts(t, testCloseCancelsTaskWithLoopValuesOnly)
}

func testCloseCancelsTaskWithLoopValuesOnly(t *testing.T) {
	l := sy.New()
	ctx, cancel := context.WithCancel(context.WithoutCancel(l.Context()))
	defer cancel()
	f := sy.Go(ctx, l, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, context.Cause(ctx) })
	require.NoError(t, l.Close())
	_, err := f.Result()
	assert.ErrorIs(t, err, sy.ErrClosed)
}

// A task cancelled by its parent keeps that cause after the loop closes.
func TestCauseParentBeforeLoop(t *testing.T) { bothContexts(t, testCauseParentBeforeLoop) }

func testCauseParentBeforeLoop(t *testing.T) {
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

// selfWaitMessage is what a wait on a loop from its own work panics with.
const selfWaitMessage = "which it waits for: it would never return"

// panicText runs f and returns what it panicked with, as text.
func panicText(f func()) (s string) {
	defer func() {
		r := recover()
		if p, ok := r.(*sy.PanicError); ok {
			r = p.Value
		}
		if r != nil {
			s = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// Close and Shutdown called from the loop's own work fail loudly at the
// call, naming the mistake, instead of waiting for ever; the loop can
// still be closed from outside afterwards.
func TestCloseFromOwnWorkPanics(t *testing.T) { goidsRead(t, testCloseFromOwnWorkPanics) }

func testCloseFromOwnWorkPanics(t *testing.T) {
	closers := map[string]func(l *sy.Loop){
		"Close":    func(l *sy.Loop) { l.Close() },
		"Shutdown": func(l *sy.Loop) { l.Shutdown(context.Background()) },
	}
	for kind, opts := range map[string][]sy.Option{"serial": {sy.Serial()}, "locked": {sy.LockOSThread()}} {
		for name, closeIt := range closers {
			t.Run(kind+"/"+name+"/Call", func(t *testing.T) {
				l := sy.New(opts...)
				msg := panicText(func() {
					sy.Call(context.Background(), l, func(context.Context) (int, error) { closeIt(l); return 0, nil })
				})
				assert.Contains(t, msg, selfWaitMessage)
				assert.Contains(t, msg, "Loop."+name)
				require.NoError(t, l.Close())
			})
			t.Run(kind+"/"+name+"/Go", func(t *testing.T) {
				l := sy.New(opts...)
				f := sy.Go(context.Background(), l, func(context.Context) (int, error) { closeIt(l); return 0, nil })
				assert.Contains(t, panicText(func() { f.Result() }), selfWaitMessage)
				require.NoError(t, l.Close())
			})
			t.Run(kind+"/"+name+"/producer", func(t *testing.T) {
				l := sy.New(opts...)
				msg := panicText(func() {
					for range sy.Seq(context.Background(), l, func(ctx context.Context, yield func(int) bool) error {
						closeIt(l)
						return nil
					}) {
					}
				})
				assert.Contains(t, msg, selfWaitMessage)
				require.NoError(t, l.Close())
			})
			t.Run(kind+"/"+name+"/Map", func(t *testing.T) {
				l := sy.New(opts...)
				msg := panicText(func() {
					for range sy.Map(context.Background(), l, slices.Values([]int{1}), func(context.Context, int) (int, error) {
						closeIt(l)
						return 0, nil
					}) {
					}
				})
				assert.Contains(t, msg, selfWaitMessage)
				require.NoError(t, l.Close())
			})
			t.Run(kind+"/"+name+"/range body on the loop", func(t *testing.T) {
				l := sy.New(opts...)
				msg := panicText(func() {
					sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
						for range sy.Seq(ctx, l, sy.FromSeq(slices.Values([]int{1}))) {
							closeIt(l)
						}
						return 0, nil
					})
				})
				assert.Contains(t, msg, selfWaitMessage)
				require.NoError(t, l.Close())
			})
			t.Run(kind+"/"+name+"/Map body on the loop", func(t *testing.T) {
				l := sy.New(opts...)
				msg := panicText(func() {
					sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
						for range sy.Map(ctx, l, slices.Values([]int{1}), func(_ context.Context, i int) (int, error) { return i, nil }) {
							closeIt(l)
						}
						return 0, nil
					})
				})
				assert.Contains(t, msg, selfWaitMessage)
				require.NoError(t, l.Close())
			})
		}
	}
}

// What is not the loop's own work may close it while its work runs: a
// goroutine a task started (it inherits the task's labels), a task of
// another loop, even one with the same name.
func TestCloseFromOtherWorkWaits(t *testing.T) {
	busy := func(l *sy.Loop) *sy.Future[int] {
		started := make(chan struct{})
		f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-started
		return f
	}
	t.Run("goroutine started by a task", func(t *testing.T) {
		l := sy.New()
		f := busy(l)
		closed := make(chan error)
		_, err := sy.Call(context.Background(), l, func(context.Context) (int, error) {
			go func() { closed <- l.Close() }()
			return 0, nil
		})
		require.NoError(t, err)
		require.NoError(t, <-closed)
		_, err = f.Result()
		assert.ErrorIs(t, err, sy.ErrClosed)
	})
	for _, same := range []bool{false, true} {
		t.Run(fmt.Sprintf("task of another loop, same name %v", same), func(t *testing.T) {
			a, b := sy.New(sy.Name("a")), sy.New(sy.Name("b"))
			if same {
				a, b = sy.New(sy.Name("db")), sy.New(sy.Name("db"))
			}
			defer a.Close()
			f := busy(b)
			_, err := sy.Call(context.Background(), a, func(context.Context) (int, error) { return 0, b.Close() })
			require.NoError(t, err)
			_, err = f.Result()
			assert.ErrorIs(t, err, sy.ErrClosed)
		})
	}
}

// On a serial loop's goroutine, receiving from the channel of a stream of
// the loop's own, whose steps are queued behind the receiver, fails loudly
// at the call. (Waits that the package can drive run the work instead:
// TestSerialWaitOnOwnFutureRunsIt, TestSerialRangeOwnStreamRunsIt.)
func TestSerialWaitOnOwnWorkPanics(t *testing.T) {
	waits := map[string]func(l *sy.Loop){
		"Stream.C": func(l *sy.Loop) {
			for range sy.Start(context.Background(), l, func(ctx context.Context, yield func(int) bool) error { return nil }).C() {
			}
		},
	}
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			l := sy.New(sy.Serial())
			msg := panicText(func() {
				sy.Call(context.Background(), l, func(context.Context) (int, error) { wait(l); return 0, nil })
			})
			assert.Contains(t, msg, "synchronicity."+name+": called on the goroutine of synchronicity.Loop(")
			assert.Contains(t, msg, "would never run")
			require.NoError(t, l.Close())
		})
	}
}

// Zero values say what to use instead of hanging or dereferencing nil.
func TestZeroValuesPanicClearly(t *testing.T) {
	var l sy.Loop
	const loopMsg = "synchronicity: use of a zero Loop; make loops with New (or pass nil for the default loop)"
	assert.PanicsWithValue(t, loopMsg, func() { l.Close() })
	assert.PanicsWithValue(t, loopMsg, func() { l.Shutdown(context.Background()) })
	assert.PanicsWithValue(t, loopMsg, func() { l.Context() })
	assert.PanicsWithValue(t, loopMsg, func() {
		sy.Call(context.Background(), &l, func(context.Context) (int, error) { return 0, nil })
	})
	assert.PanicsWithValue(t, loopMsg, func() {
		sy.Go(context.Background(), &l, func(context.Context) (int, error) { return 0, nil })
	})
	var f sy.Future[int]
	const futureMsg = "synchronicity: use of a zero Future; futures come from Go, Func.Go and NewPromise"
	assert.PanicsWithValue(t, futureMsg, func() { f.Result() })
	assert.PanicsWithValue(t, futureMsg, func() { f.Wait(context.Background()) })
	assert.PanicsWithValue(t, futureMsg, func() { f.Done() })
	assert.PanicsWithValue(t, futureMsg, func() { f.Cancel() })
	assert.PanicsWithValue(t, futureMsg, func() { sy.All(context.Background(), &f) })
	var s sy.Stream[int]
	const streamMsg = "synchronicity: use of a zero Stream; streams come from Start"
	assert.PanicsWithValue(t, streamMsg, func() { s.C() })
	assert.PanicsWithValue(t, streamMsg, func() { s.Stop() })
	assert.PanicsWithValue(t, streamMsg, func() { s.Seq() })
}

// Close is never mistaken for a call from the loop's own work: not after
// the caller made a call to another loop with a context derived from the
// loop's, and not while other loops' tasks make and close loops of their
// own.
func TestCloseFromOtherWorkNeverPanics(t *testing.T) {
	busy := func(l *sy.Loop) *sy.Future[int] {
		started := make(chan struct{})
		f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-started
		return f
	}
	t.Run("after a call to another loop under its context", func(t *testing.T) {
		a, b, c := sy.New(), sy.New(), sy.New()
		defer a.Close()
		defer c.Close()
		f := busy(b)
		_, err := sy.Call(context.Background(), a, func(context.Context) (int, error) {
			ctx, cancel := context.WithCancel(b.Context())
			defer cancel()
			if _, err := sy.Call(ctx, c, func(context.Context) (int, error) { return 0, nil }); err != nil {
				return 0, err
			}
			return 0, b.Close()
		})
		require.NoError(t, err)
		_, err = f.Result()
		assert.ErrorIs(t, err, sy.ErrClosed)
	})
	t.Run("while its tasks close batch loops of their own", func(t *testing.T) {
		a, b := sy.New(), sy.New()
		defer a.Close()
		var fs []*sy.Future[int]
		for range 8 {
			fs = append(fs, sy.Go(context.Background(), b, func(ctx context.Context) (int, error) {
				for ctx.Err() == nil {
					batch := sy.New(sy.Limit(8))
					for range 4 {
						sy.Go(ctx, batch, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, nil })
					}
					batch.Close()
				}
				return 0, nil
			}))
		}
		for range 20 {
			_, err := sy.Call(context.Background(), a, func(context.Context) (int, error) { return 0, nil })
			require.NoError(t, err)
		}
		_, err := sy.Call(context.Background(), a, func(context.Context) (int, error) { return 0, b.Close() })
		require.NoError(t, err)
		for _, f := range fs {
			if _, err := f.Result(); err != nil {
				assert.ErrorIs(t, err, sy.ErrClosed, "cancelled before it started")
			}
		}
	})
}

// Work cut short by Close matches context.Canceled whether the code in
// between reported ctx.Err() or, as net/http does, context.Cause(ctx); and
// ErrClosed tells Close apart from other cancellations.
func TestCancellationMatchesCanceled(t *testing.T) {
	for name, opt := range map[string]sy.Option{"concurrent": sy.Name("c"), "serial": sy.Serial(), "locked": sy.LockOSThread()} {
		t.Run(name, func(t *testing.T) {
			l := sy.New(opt)
			started := make(chan struct{})
			f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
				close(started)
				<-ctx.Done()
				return 0, fmt.Errorf("Get \"http://example.com\": %w", context.Cause(ctx))
			})
			<-started
			require.NoError(t, l.Close())
			_, err := f.Result()
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorIs(t, err, sy.ErrClosed)
		})
	}
	assert.ErrorIs(t, sy.ErrClosed, context.Canceled)
	assert.ErrorIs(t, sy.ErrInterrupted, context.Canceled)
	assert.NotErrorIs(t, context.Canceled, sy.ErrClosed, "not every cancellation is a Close")
	assert.NotErrorIs(t, sy.ErrInterrupted, sy.ErrClosed)
}
