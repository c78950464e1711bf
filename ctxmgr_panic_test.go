package synchronicity_test

import (
	"bytes"
	"context"
	"errors"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// A body's panic that crosses no goroutine goes on with its own value, so a
// recover that looks for one (net/http's, for http.ErrAbortHandler) still
// finds it, through every form and every kind of manager; Exit sees it as a
// *PanicError.
func TestBodyPanicKeepsItsValue(t *testing.T) {
	ctx := context.Background()
	forms := map[string]func(context.Context, sy.ContextManager[string], func(string) error) error{
		"Enter": useEnter[string],
		"Push":  usePush[string],
		"Do":    sy.Do[string],
	}
	for form, use := range forms {
		for kind, mk := range panicManagers(t) {
			t.Run(form+"/"+kind, func(t *testing.T) {
				cm, seen := mk()
				bodyRan := false
				r := recovered(func() {
					_ = use(ctx, cm, func(string) error {
						bodyRan = true
						panic(http.ErrAbortHandler)
					})
				})
				require.True(t, bodyRan)
				assert.True(t, r == http.ErrAbortHandler, "recovered %T %v, want http.ErrAbortHandler", r, r)
				exitSaw := seen()
				var pe *sy.PanicError
				require.True(t, errors.As(exitSaw, &pe), "Exit saw %T %v, want *PanicError", exitSaw, exitSaw)
				assert.True(t, pe.Value == http.ErrAbortHandler)
				assert.ErrorIs(t, exitSaw, http.ErrAbortHandler)
				assert.Contains(t, string(pe.Stack), "TestBodyPanicKeepsItsValue", "the stack is the body's")
			})
		}
	}
}

// panicManagers make a fresh manager of each kind, with a function that
// returns what its Exit saw.
func panicManagers(t *testing.T) map[string]func() (sy.ContextManager[string], func() error) {
	serial := sy.New(sy.Serial())
	concurrent := sy.New()
	t.Cleanup(func() {
		assert.NoError(t, serial.Close())
		assert.NoError(t, concurrent.Close())
	})
	plain := func() (sy.ContextManager[string], func() error) {
		p := &probe{}
		return p, func() error {
			p.mu.Lock()
			defer p.mu.Unlock()
			require.Len(t, p.seen, 1)
			return p.seen[0]
		}
	}
	onLoop := func(l *sy.Loop) func() (sy.ContextManager[string], func() error) {
		return func() (sy.ContextManager[string], func() error) {
			p, seen := plain()
			return sy.OnLoop(l, p), seen
		}
	}
	return map[string]func() (sy.ContextManager[string], func() error){
		"interface": plain,
		"Scoped": func() (sy.ContextManager[string], func() error) {
			var mu sync.Mutex
			var saw error
			cm := sy.Scoped(func(ctx context.Context, yield func(string) error) error {
				err := yield("v")
				mu.Lock()
				saw = err
				mu.Unlock()
				return err
			})
			return cm, func() error {
				mu.Lock()
				defer mu.Unlock()
				return saw
			}
		},
		"OnLoop serial":     onLoop(serial),
		"OnLoop concurrent": onLoop(concurrent),
		"nested": func() (sy.ContextManager[string], func() error) {
			p, seen := plain()
			return sy.Scoped(func(ctx context.Context, yield func(string) error) error {
				return sy.Do(ctx, p, yield) // a manager used inside another
			}), seen
		},
	}
}

// Several managers on one ExitStack, unwound by a deferred Unwind: each Exit
// sees the *PanicError, and the panic goes on with its own value.
func TestExitStackBodyPanicKeepsItsValue(t *testing.T) {
	ctx := context.Background()
	a, b := &probe{}, &probe{}
	var deferSaw error
	r := recovered(func() {
		var stack sy.ExitStack
		defer stack.Unwind(ctx, nil)
		_, _ = sy.Push(ctx, &stack, a)
		stack.Defer(func(_ context.Context, err error) error { deferSaw = err; return err })
		_, _ = sy.Push(ctx, &stack, b)
		panic(http.ErrAbortHandler)
	})
	assert.True(t, r == http.ErrAbortHandler, "recovered %T %v", r, r)
	require.Len(t, b.seen, 1)
	pe := goesOn(t, r, http.ErrAbortHandler, b.seen[0])
	assert.Same(t, pe, deferSaw)
	assert.Equal(t, []error{pe}, a.seen)
}

// A panic that crosses goroutines is still a *PanicError: a manager's own
// panic in a Scoped function parked by Enter, a task's panic observed
// through its future.
func TestCrossGoroutinePanicIsWrapped(t *testing.T) {
	ctx := context.Background()
	cm := sy.Scoped(func(ctx context.Context, yield func(string) error) error {
		_ = yield("v")
		panic(http.ErrAbortHandler)
	})
	r := recovered(func() { _ = useEnter(ctx, cm, func(string) error { return nil }) })
	pe := panicValue(t, r, http.ErrAbortHandler)
	assert.ErrorIs(t, pe, http.ErrAbortHandler)

	l := sy.New()
	defer l.Close()
	f := sy.Go(ctx, l, func(context.Context) (int, error) { panic(http.ErrAbortHandler) })
	panicValue(t, recovered(func() { f.Result() }), http.ErrAbortHandler)
}

// net/http aborts a request quietly when its handler panics with
// http.ErrAbortHandler, and logs any other panic with its stack. A handler
// whose body runs inside a context manager keeps the quiet abort.
func TestHTTPAbortThroughManager(t *testing.T) {
	var logged bytes.Buffer
	p := &probe{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = sy.Do(r.Context(), p, func(string) error {
			panic(http.ErrAbortHandler)
		})
	}))
	srv.Config.ErrorLog = log.New(&logged, "", 0)
	srv.Start()
	_, err := srv.Client().Get(srv.URL)
	assert.Error(t, err, "the connection is dropped")
	srv.Close() // waits for the handler
	assert.NotContains(t, logged.String(), "panic serving", "net/http saw another panic than ErrAbortHandler")
	p.mu.Lock()
	defer p.mu.Unlock()
	require.Len(t, p.seen, 1)
	assert.ErrorIs(t, p.seen[0], http.ErrAbortHandler)
}
