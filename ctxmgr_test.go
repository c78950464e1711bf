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

// probe is a manager that counts its calls and records what Exit saw.
type probe struct {
	name     string
	enterErr error
	exit     func(error) error // what Exit returns for what it saw; nil passes it on
	log      *[]string         // shared by several probes, for order

	mu      sync.Mutex
	entered int
	seen    []error // one per Exit
}

func (p *probe) Enter(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.entered++
	if p.log != nil {
		*p.log = append(*p.log, "enter "+p.name)
	}
	if p.enterErr != nil {
		return "", p.enterErr
	}
	return "value of " + p.name, nil
}

func (p *probe) Exit(ctx context.Context, err error) error {
	p.mu.Lock()
	p.seen = append(p.seen, err)
	if p.log != nil {
		*p.log = append(*p.log, "exit "+p.name)
	}
	p.mu.Unlock()
	if p.exit != nil {
		return p.exit(err)
	}
	return err
}

func (p *probe) exits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
}

// useEnter is the documented pattern: Enter, then defer exit(&err).
func useEnter[T any](ctx context.Context, cm sy.ContextManager[T], body func(T) error) (err error) {
	v, exit, err := sy.Enter(ctx, cm)
	if err != nil {
		return err
	}
	defer exit(&err)
	return body(v)
}

func TestEnterPassesBodyErrorToExit(t *testing.T) {
	ctx := context.Background()
	t.Run("passed on", func(t *testing.T) {
		p := &probe{}
		var got string
		err := useEnter(ctx, p, func(v string) error { got = v; return errBody })
		assert.ErrorIs(t, err, errBody)
		assert.Equal(t, "value of ", got)
		assert.Equal(t, []error{errBody}, p.seen)
	})
	t.Run("replaced", func(t *testing.T) {
		p := &probe{exit: func(error) error { return errExit }}
		err := useEnter(ctx, p, func(string) error { return errBody })
		assert.Equal(t, errExit, err)
		assert.Equal(t, []error{errBody}, p.seen)
	})
	t.Run("suppressed", func(t *testing.T) {
		p := &probe{exit: func(error) error { return nil }}
		err := useEnter(ctx, p, func(string) error { return errBody })
		assert.NoError(t, err)
		assert.Equal(t, 1, p.exits())
	})
	t.Run("success", func(t *testing.T) {
		p := &probe{}
		assert.NoError(t, useEnter(ctx, p, func(string) error { return nil }))
		assert.Equal(t, []error{nil}, p.seen)
	})
}

func TestEnterFailureSkipsExit(t *testing.T) {
	p := &probe{enterErr: errOpen}
	v, exit, err := sy.Enter(context.Background(), p)
	assert.ErrorIs(t, err, errOpen)
	assert.Zero(t, v)
	require.NotNil(t, exit)
	err = errBody
	exit(&err) // does nothing
	assert.Equal(t, errBody, err)
	assert.Equal(t, 1, p.entered)
	assert.Zero(t, p.exits())
}

func TestEnterBodyPanicReachesExit(t *testing.T) {
	p := &probe{exit: func(error) error { return nil }} // cannot suppress a panic
	r := recovered(func() {
		_ = useEnter(context.Background(), p, func(string) error { panic("boom") })
	})
	require.Len(t, p.seen, 1)
	pe := goesOn(t, r, "boom", p.seen[0])
	assert.Contains(t, string(pe.Stack), "TestEnterBodyPanicReachesExit", "the stack is the body's")
}

func TestEnterExitPanics(t *testing.T) {
	p := &probe{exit: func(error) error { panic("exit boom") }}
	r := recovered(func() { _ = useEnter(context.Background(), p, func(string) error { return errBody }) })
	assert.Equal(t, "exit boom", r)
	assert.Equal(t, []error{errBody}, p.seen)

	// A panic in Exit while the body panics goes on instead of the body's.
	p = &probe{exit: func(error) error { panic("exit boom") }}
	r = recovered(func() { _ = useEnter(context.Background(), p, func(string) error { panic("boom") }) })
	assert.Equal(t, "exit boom", r)
	require.Len(t, p.seen, 1)
	panicValue(t, p.seen[0], "boom")
}

func TestEnterExitIdempotent(t *testing.T) {
	p := &probe{exit: func(error) error { return errExit }}
	_, exit, err := sy.Enter(context.Background(), p)
	require.NoError(t, err)
	exit(&err)
	assert.Equal(t, errExit, err)
	err = errBody
	exit(&err)
	assert.Equal(t, errBody, err, "a second call leaves err alone")
	assert.Equal(t, 1, p.exits())

	// A second exit deferred during a panic lets the panic go on.
	p = &probe{}
	r := recovered(func() {
		_, exit, _ := sy.Enter(context.Background(), p)
		defer exit(nil)
		defer exit(nil)
		panic("boom")
	})
	require.Len(t, p.seen, 1)
	goesOn(t, r, "boom", p.seen[0])
}

func TestEnterNilErrorPointer(t *testing.T) {
	p := &probe{exit: func(error) error { return errExit }}
	func() {
		_, exit, err := sy.Enter(context.Background(), p)
		require.NoError(t, err)
		defer exit(nil) // Exit's error is dropped, as with defer f.Close()
	}()
	assert.Equal(t, []error{nil}, p.seen)

	p = &probe{}
	r := recovered(func() {
		_, exit, _ := sy.Enter(context.Background(), p)
		defer exit(nil)
		panic("boom")
	})
	require.Len(t, p.seen, 1)
	goesOn(t, r, "boom", p.seen[0])
}

func TestContextManagerMisuse(t *testing.T) {
	ctx := context.Background()
	var nilCtx context.Context
	p := &probe{}
	for _, c := range []struct {
		msg string
		fn  func()
	}{
		{"synchronicity.Enter: nil context", func() { sy.Enter(nilCtx, p) }},
		{"synchronicity.Enter: nil ContextManager", func() { sy.Enter[int](ctx, nil) }},
		{"synchronicity.Do: nil body", func() { sy.Do(ctx, p, nil) }},
		{"synchronicity.Do: nil ContextManager", func() { sy.Do[int](ctx, nil, func(int) error { return nil }) }},
		{"synchronicity.Scoped: nil function", func() { sy.Scoped[int](nil) }},
		{"synchronicity.OnLoop: nil ContextManager", func() { sy.OnLoop[int](nil, nil) }},
		{"synchronicity.Push: nil ContextManager", func() { sy.Push[int](ctx, new(sy.ExitStack), nil) }},
		{"synchronicity.Push: nil *ExitStack", func() { sy.Push(ctx, nil, p) }},
		{"synchronicity.ExitStack.Defer: nil function", func() { new(sy.ExitStack).Defer(nil) }},
		{"synchronicity.Closing: nil function", func() { sy.Closing[*file](nil) }},
	} {
		r := recovered(c.fn)
		require.NotNil(t, r, c.msg)
		assert.Contains(t, fmt.Sprint(r), c.msg)
	}
	assert.Zero(t, p.entered)
}

func TestDo(t *testing.T) {
	ctx := context.Background()
	p := &probe{exit: func(err error) error { return errors.Join(err, errExit) }}
	var got string
	err := sy.Do(ctx, p, func(v string) error { got = v; return errBody })
	assert.ErrorIs(t, err, errBody)
	assert.ErrorIs(t, err, errExit)
	assert.Equal(t, "value of ", got)
	assert.Equal(t, []error{errBody}, p.seen)

	p = &probe{enterErr: errOpen}
	called := false
	assert.Equal(t, errOpen, sy.Do(ctx, p, func(string) error { called = true; return nil }))
	assert.False(t, called)
	assert.Zero(t, p.exits())

	p = &probe{}
	r := recovered(func() { _ = sy.Do(ctx, p, func(string) error { panic("boom") }) })
	require.Len(t, p.seen, 1)
	goesOn(t, r, "boom", p.seen[0])
}

// A body that calls runtime.Goexit (as t.FailNow does) still runs Exit, which
// can tell it from success.
func TestDoGoexit(t *testing.T) {
	p := &probe{}
	inGoroutine(func() {
		_ = sy.Do(context.Background(), p, func(string) error {
			runtime.Goexit()
			return nil
		})
	})
	require.Len(t, p.seen, 1)
	assert.ErrorContains(t, p.seen[0], "Goexit")
}

// inGoroutine runs fn in a goroutine of its own, which fn may end with
// runtime.Goexit, and waits for it.
func inGoroutine(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}

// slowEnter is a manager whose Enter waits until ctx ends (after telling
// started), like a dial that never connects.
type slowEnter struct {
	started chan struct{}
	exits   atomic.Int32
}

func (s *slowEnter) Enter(ctx context.Context) (int, error) {
	close(s.started)
	<-ctx.Done()
	return 0, context.Cause(ctx)
}

func (s *slowEnter) Exit(ctx context.Context, err error) error {
	s.exits.Add(1)
	return err
}

func TestEnterCancelledWhileSlow(t *testing.T) {
	cases := map[string]func(*sy.Loop, sy.ContextManager[int]) sy.ContextManager[int]{
		"direct": func(_ *sy.Loop, cm sy.ContextManager[int]) sy.ContextManager[int] { return cm },
		"OnLoop": sy.OnLoop[int],
	}
	for name, wrap := range cases {
		for lname, l := range loops(t) {
			t.Run(name+"/"+lname, func(t *testing.T) {
				s := &slowEnter{started: make(chan struct{})}
				ctx, cancel := context.WithCancelCause(context.Background())
				go func() {
					<-s.started
					cancel(errBody)
				}()
				_, exit, err := sy.Enter(ctx, wrap(l, s))
				assert.ErrorIs(t, err, errBody)
				exit(nil)
				assert.Zero(t, s.exits.Load())
			})
		}
	}
}

// uses are the ways to use a manager with a body: a Scoped manager runs
// on a goroutine of its own under Enter and Push, and directly under Do.
var uses = map[string]func(context.Context, sy.ContextManager[int], func(int) error) error{
	"Enter": useEnter[int],
	"Push":  usePush[int],
	"Do":    sy.Do[int],
}
