package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

type key struct{}

// A future's context behaves as a context.Context should: values and the
// deadline come from the caller's context, and it ends when the caller's
// context ends, when the future is cancelled, or when the loop closes, each
// time with the right error and cause, reaching contexts derived from it.
func TestTaskContext(t *testing.T) { bothContexts(t, testTaskContext) }

func testTaskContext(t *testing.T) {
	deadline := time.Now().Add(time.Hour)
	cases := []struct {
		name  string
		end   func(cancelCaller context.CancelFunc, f *sy.Future[error], l *sy.Loop)
		cause error
	}{
		{"caller", func(c context.CancelFunc, _ *sy.Future[error], _ *sy.Loop) { c() }, context.Canceled},
		{"future", func(_ context.CancelFunc, f *sy.Future[error], _ *sy.Loop) { f.Cancel() }, context.Canceled},
		{"loop", func(_ context.CancelFunc, _ *sy.Future[error], l *sy.Loop) { go l.Close() }, sy.ErrClosed},
	}
	for _, c := range cases {
		for _, derive := range []bool{false, true} {
			t.Run(c.name, func(t *testing.T) {
				l := sy.New()
				defer l.Close()
				caller, cancel := context.WithDeadline(context.WithValue(context.Background(), key{}, "v"), deadline)
				defer cancel()
				started := make(chan struct{})
				f := sy.Go(caller, l, func(ctx context.Context) (error, error) {
					assert.Equal(t, "v", ctx.Value(key{}))
					d, ok := ctx.Deadline()
					assert.True(t, ok)
					assert.Equal(t, deadline, d)
					assert.NoError(t, ctx.Err())
					if derive {
						var stop context.CancelFunc
						ctx, stop = context.WithCancel(ctx)
						defer stop()
					}
					close(started)
					<-ctx.Done()
					return context.Cause(ctx), ctx.Err()
				})
				<-started
				c.end(cancel, f, l)
				cause, err := f.Result()
				assert.ErrorIs(t, err, context.Canceled)
				assert.ErrorIs(t, cause, c.cause)
			})
		}
	}
}

// context.AfterFunc on a task's context runs once it ends, and not if
// stopped first.
func TestTaskContextAfterFunc(t *testing.T) { bothContexts(t, testTaskContextAfterFunc) }

func testTaskContextAfterFunc(t *testing.T) {
	l := sy.New()
	defer l.Close()
	ran := make(chan string, 2)
	registered := make(chan struct{})
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
		stop := context.AfterFunc(ctx, func() { ran <- "stopped one" })
		require.True(t, stop())
		context.AfterFunc(ctx, func() { ran <- "kept one" })
		close(registered)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-registered
	f.Cancel()
	_, err := f.Result()
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "kept one", <-ran)
	assert.Empty(t, ran)
}

// A blocking call whose caller's context can end on its own still ends with
// the loop.
func TestCallContextEndsWithLoop(t *testing.T) { bothContexts(t, testCallContextEndsWithLoop) }

func testCallContextEndsWithLoop(t *testing.T) {
	l := sy.New()
	caller, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := sy.Call(caller, l, func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			if !errors.Is(context.Cause(ctx), sy.ErrClosed) {
				return 0, errors.New("wrong cause")
			}
			return 0, ctx.Err()
		})
		done <- err
	}()
	<-started
	require.NoError(t, l.Close())
	err := <-done
	assert.ErrorIs(t, err, sy.ErrClosed)
	assert.ErrorIs(t, err, context.Canceled)
}

// endable is a parent context whose end the test controls, with any error:
// a deadline that passes, without a clock.
type endable struct {
	context.Context
	done chan struct{}
	err  error
}

func newEndable() *endable {
	return &endable{Context: context.Background(), done: make(chan struct{})}
}

func (e *endable) end(err error)         { e.err = err; close(e.done) }
func (e *endable) Done() <-chan struct{} { return e.done }
func (e *endable) Err() error {
	select {
	case <-e.done:
		return e.err
	default:
		return nil
	}
}

// A task's context keeps every promise of the context package, for every
// way it ends and for each kind of task: once done, Err and Cause never
// change (a later end of another parent changes nothing); Done is closed;
// AfterFuncs registered before run, and ones registered after run at once;
// children made before and after are done with the same cause;
// WithoutCancel of it is never done and keeps its values.
func TestTaskContextKeepsPromises(t *testing.T) { bothContexts(t, testTaskContextKeepsPromises) }

func testTaskContextKeepsPromises(t *testing.T) {
	type ender struct {
		name       string
		err, cause error
	}
	enders := []ender{
		{"caller", context.DeadlineExceeded, context.DeadlineExceeded},
		{"loop", context.Canceled, sy.ErrClosed},
		{"cancel", context.Canceled, context.Canceled},
	}
	kinds := []string{"future", "call", "serial-call"}
	for _, kind := range kinds {
		for _, e := range enders {
			if e.name == "cancel" && kind != "future" {
				continue // only a future can be cancelled by itself
			}
			for _, watched := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/watched=%v", kind, e.name, watched), func(t *testing.T) {
					var l *sy.Loop
					if kind == "serial-call" {
						l = sy.New(sy.Serial())
					} else {
						l = sy.New()
					}
					parent := newEndable()
					type got struct {
						ctx      context.Context
						before   context.Context
						afterRan chan struct{}
					}
					gotc := make(chan got, 1)
					release := make(chan struct{})
					fn := func(ctx context.Context) (int, error) {
						g := got{ctx: ctx, afterRan: make(chan struct{})}
						if watched {
							_ = ctx.Done()
							var cancel context.CancelFunc
							g.before, cancel = context.WithCancel(ctx)
							defer cancel()
							context.AfterFunc(ctx, func() { close(g.afterRan) })
						}
						assert.NoError(t, ctx.Err())
						assert.NoError(t, context.Cause(ctx))
						gotc <- g
						<-release
						return 0, nil
					}
					var f *sy.Future[int]
					callDone := make(chan struct{})
					if kind == "future" {
						f = sy.Go(parent, l, fn)
						close(callDone)
					} else {
						go func() { defer close(callDone); sy.Call(parent, l, fn) }()
					}
					g := <-gotc
					switch e.name {
					case "caller":
						parent.end(context.DeadlineExceeded)
					case "loop":
						go l.Close()
						<-l.Context().Done()
					case "cancel":
						f.Cancel()
					}
					check := func(when string, full bool) {
						ctx := g.ctx
						if !sy.ContextsWork() {
							// Plain contexts hear of a parent outside the
							// context package (and of the loop, for such a
							// task) as the context package does: through a
							// goroutine, so not yet at once.
							<-ctx.Done()
						}
						assert.Equal(t, e.err, ctx.Err(), when)
						assert.Equal(t, e.cause, context.Cause(ctx), when)
						if !full {
							return // Done not asked for yet: Err alone must hold
						}
						select {
						case <-ctx.Done():
						default:
							t.Errorf("%s: Done not closed", when)
						}
						if watched {
							<-g.afterRan
							<-g.before.Done()
							assert.Equal(t, e.cause, context.Cause(g.before), when)
						}
						after, cancel := context.WithCancelCause(ctx)
						defer cancel(nil)
						<-after.Done()
						assert.Equal(t, e.err, after.Err(), when)
						assert.Equal(t, e.cause, context.Cause(after), when)
						ran := make(chan struct{})
						context.AfterFunc(ctx, func() { close(ran) })
						<-ran
						wc := context.WithoutCancel(ctx)
						assert.NoError(t, wc.Err(), when)
						assert.Nil(t, wc.Done(), when)
						assert.Nil(t, wc.Value(key{}), when)
					}
					check("after the end", watched)
					// The other parents end too; nothing may change.
					if e.name != "caller" {
						parent.end(context.DeadlineExceeded)
					}
					if e.name != "loop" {
						go l.Close()
						<-l.Context().Done()
					}
					if f != nil {
						f.Cancel()
					}
					check("after every parent ended", true)
					close(release)
					if f != nil {
						f.Result()
					}
					<-callDone
					require.NoError(t, l.Close())
				})
			}
		}
	}
}
