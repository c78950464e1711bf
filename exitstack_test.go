package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sy "github.com/synchronicity-go/synchronicity"
)

// usePush is useEnter through an ExitStack.
func usePush[T any](ctx context.Context, cm sy.ContextManager[T], body func(T) error) (err error) {
	var stack sy.ExitStack
	defer stack.Unwind(ctx, &err)
	v, err := sy.Push(ctx, &stack, cm)
	if err != nil {
		return err
	}
	return body(v)
}

func TestExitStack(t *testing.T) {
	ctx := context.Background()
	t.Run("third fails", func(t *testing.T) {
		var log []string
		a, b := &probe{name: "a", log: &log}, &probe{name: "b", log: &log}
		c := &probe{name: "c", log: &log, enterErr: errOpen}
		setup := func() (err error) {
			var stack sy.ExitStack
			defer stack.Unwind(ctx, &err)
			for _, p := range []*probe{a, b, c} {
				if _, err := sy.Push(ctx, &stack, p); err != nil {
					return err
				}
			}
			return nil
		}
		assert.Equal(t, errOpen, setup())
		assert.Equal(t, []string{"enter a", "enter b", "enter c", "exit b", "exit a"}, log)
		assert.Equal(t, []error{errOpen}, a.seen)
		assert.Equal(t, []error{errOpen}, b.seen)
		assert.Zero(t, c.exits())
	})
	t.Run("chains errors in reverse order", func(t *testing.T) {
		var stack sy.ExitStack
		var log []string
		errA := errors.New("a failed")
		a := &probe{name: "a", log: &log, exit: func(err error) error { return errors.Join(err, errA) }}
		_, err := sy.Push(ctx, &stack, a)
		require.NoError(t, err)
		var deferSaw error
		stack.Defer(func(ctx context.Context, err error) error {
			log = append(log, "deferred")
			deferSaw = err
			return nil // suppresses
		})
		b := &probe{name: "b", log: &log, exit: func(err error) error { return errExit }}
		_, err = sy.Push(ctx, &stack, b)
		require.NoError(t, err)

		err = unwind(ctx, &stack, errBody)
		assert.Equal(t, []string{"enter a", "enter b", "exit b", "deferred", "exit a"}, log)
		assert.Equal(t, []error{errBody}, b.seen)
		assert.Equal(t, errExit, deferSaw)
		assert.Equal(t, []error{nil}, a.seen)
		assert.ErrorIs(t, err, errA)
		assert.NotErrorIs(t, err, errBody, "suppressed by the deferred function")
		assert.NotErrorIs(t, err, errExit)

		// Empty and reusable afterwards.
		assert.Equal(t, errBody, unwind(ctx, &stack, errBody))
		_, err = sy.Push(ctx, &stack, a)
		require.NoError(t, err)
		assert.ErrorIs(t, unwind(ctx, &stack, nil), errA)
		assert.Equal(t, 2, a.exits())
	})
	t.Run("panicking exit", func(t *testing.T) {
		var stack sy.ExitStack
		a := &probe{}
		_, _ = sy.Push(ctx, &stack, a)
		stack.Defer(func(ctx context.Context, err error) error { panic("exit boom") })
		c := &probe{}
		_, _ = sy.Push(ctx, &stack, c)
		r := recovered(func() { unwind(ctx, &stack, nil) })
		assert.Equal(t, []error{nil}, c.seen)
		require.Len(t, a.seen, 1, "the rest still run and see the panic")
		goesOn(t, r, "exit boom", a.seen[0])
	})
	t.Run("body panic", func(t *testing.T) {
		a := &probe{exit: func(error) error { return nil }}
		b := &probe{}
		r := recovered(func() {
			var stack sy.ExitStack
			defer stack.Unwind(ctx, nil)
			_, _ = sy.Push(ctx, &stack, a)
			_, _ = sy.Push(ctx, &stack, b)
			panic("boom")
		})
		require.Len(t, b.seen, 1)
		pe := goesOn(t, r, "boom", b.seen[0])
		assert.Equal(t, []error{pe}, a.seen)
	})
	t.Run("scoped managers", func(t *testing.T) {
		var log []string
		mk := func(name string) sy.ContextManager[string] {
			return sy.Scoped(func(ctx context.Context, yield func(string) error) error {
				log = append(log, "setup "+name)
				err := yield(name)
				log = append(log, "teardown "+name)
				return err
			})
		}
		var stack sy.ExitStack
		for _, n := range []string{"a", "b", "c"} {
			v, err := sy.Push(ctx, &stack, mk(n))
			require.NoError(t, err)
			assert.Equal(t, n, v)
		}
		assert.NoError(t, unwind(ctx, &stack, nil))
		assert.Equal(t, []string{"setup a", "setup b", "setup c", "teardown c", "teardown b", "teardown a"}, log)
	})
}

// An Exit that calls runtime.Goexit while an exit stack unwinds does not
// skip the rest: the managers and functions below it still run, once each,
// seeing an error that says so, and then the Goexit goes on.
func TestExitStackExitGoexit(t *testing.T) {
	for _, form := range []string{"Close", "Unwind"} {
		t.Run(form, func(t *testing.T) {
			var seen []string
			record := func(name string) func(context.Context, error) error {
				return func(_ context.Context, err error) error {
					seen = append(seen, fmt.Sprintf("%s: %v", name, err))
					return err
				}
			}
			done := make(chan bool)
			go func() {
				returned := false
				defer func() { done <- returned }()
				var s sy.ExitStack
				s.Defer(record("first"))
				s.Defer(func(context.Context, error) error { runtime.Goexit(); return nil })
				s.Defer(record("last"))
				if form == "Close" {
					unwind(context.Background(), &s, nil)
				} else {
					func() (err error) {
						defer s.Unwind(context.Background(), &err)
						return nil
					}()
				}
				returned = true
			}()
			assert.False(t, <-done, "the Goexit did not go on")
			assert.Equal(t, []string{"last: <nil>", "first: synchronicity: Exit called runtime.Goexit"}, seen)
		})
	}
}
