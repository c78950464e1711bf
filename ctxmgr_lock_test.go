package synchronicity_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	sy "github.com/synchronicity-go/synchronicity"
)

// These tests move a Scoped manager's use between OS-thread lock states: had
// fn run as a coroutine, resuming it so would abort the process ("coro: OS
// thread locking must match locking at coroutine creation"), which no
// recover catches.

// scopedCounts is a Scoped manager's record: how often fn set up and tore
// down, and what its yield returned.
type scopedCounts struct {
	setups, teardowns int
	seen              error
}

// manager returns a Scoped manager that yields 42 and returns what yield
// returned joined with errExit. If call is set, fn calls it before and
// after its yield (to call a loop from both halves).
func (c *scopedCounts) manager(call func(context.Context)) sy.ContextManager[int] {
	return sy.Scoped(func(ctx context.Context, yield func(int) error) error {
		c.setups++
		defer func() { c.teardowns++ }()
		if call != nil {
			call(ctx)
		}
		c.seen = yield(42)
		if call != nil {
			call(ctx)
		}
		return errors.Join(c.seen, errExit)
	})
}

// check asserts that fn ran once, saw errBody, and that final is its result.
func (c *scopedCounts) check(t *testing.T, final error) {
	t.Helper()
	assert.Equal(t, 1, c.setups, "setups")
	assert.Equal(t, 1, c.teardowns, "teardowns")
	assert.Equal(t, errBody, c.seen, "what yield returned")
	assert.ErrorIs(t, final, errBody)
	assert.ErrorIs(t, final, errExit)
}

// inTask runs fn as a task of l and returns its error.
func inTask(l *sy.Loop, fn func(ctx context.Context) error) error {
	_, err := sy.Call(context.Background(), l, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	})
	return err
}

// A Scoped manager may be entered (with Enter or Push) in a task of a
// LockOSThread loop and exited outside it, or the other way round.
func TestScopedCrossesThreadLocking(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // fn's goroutine ends with its use
	type use struct {
		enter func(ctx context.Context, cm sy.ContextManager[int]) (int, error)
		exit  func(ctx context.Context) error // exits with errBody
	}
	// viaEnter and viaPush enter cm one way and exit it the matching way.
	viaEnter := func() *use {
		u := &use{}
		u.enter = func(ctx context.Context, cm sy.ContextManager[int]) (int, error) {
			v, exit, err := sy.Enter(ctx, cm)
			u.exit = func(context.Context) error {
				err := errBody
				exit(&err)
				return err
			}
			return v, err
		}
		return u
	}
	viaPush := func() *use {
		u := &use{}
		var stack sy.ExitStack
		u.enter = func(ctx context.Context, cm sy.ContextManager[int]) (int, error) {
			u.exit = func(ctx context.Context) error { return unwind(ctx, &stack, errBody) }
			return sy.Push(ctx, &stack, cm)
		}
		return u
	}
	for _, how := range []struct {
		name string
		use  func() *use
	}{{"Enter", viaEnter}, {"Push", viaPush}} {
		t.Run(how.name+" in a locked task, exit outside", func(t *testing.T) {
			l := sy.New(sy.LockOSThread())
			defer func() { require.NoError(t, l.Close()) }()
			var c scopedCounts
			u := how.use()
			require.NoError(t, inTask(l, func(ctx context.Context) error {
				v, err := u.enter(ctx, c.manager(nil))
				assert.Equal(t, 42, v)
				return err
			}))
			c.check(t, u.exit(context.Background()))
		})
		t.Run(how.name+" outside, exit in a locked task", func(t *testing.T) {
			l := sy.New(sy.LockOSThread())
			defer func() { require.NoError(t, l.Close()) }()
			var c scopedCounts
			u := how.use()
			v, err := u.enter(context.Background(), c.manager(nil))
			require.NoError(t, err)
			assert.Equal(t, 42, v)
			var final error
			require.NoError(t, inTask(l, func(ctx context.Context) error {
				final = u.exit(ctx)
				return nil
			}))
			c.check(t, final)
		})
	}
}

// A body may lock its goroutine to its thread before its deferred exit runs,
// or unlock it, and a Scoped function still finishes.
func TestScopedBodyChangesThreadLocking(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // fn's goroutine ends with its use
	body := func(cm sy.ContextManager[int], between func()) (v int, err error) {
		v, exit, err := sy.Enter(context.Background(), cm)
		if err != nil {
			return v, err
		}
		defer exit(&err)
		between()
		return v, errBody
	}
	t.Run("lock", func(t *testing.T) {
		var c scopedCounts
		var v int
		var err error
		inGoroutine(func() {
			defer runtime.UnlockOSThread()
			v, err = body(c.manager(nil), runtime.LockOSThread)
		})
		assert.Equal(t, 42, v)
		c.check(t, err)
	})
	t.Run("unlock", func(t *testing.T) {
		var c scopedCounts
		var v int
		var err error
		inGoroutine(func() {
			runtime.LockOSThread()
			v, err = body(c.manager(nil), runtime.UnlockOSThread)
		})
		assert.Equal(t, 42, v)
		c.check(t, err)
	})
}

// A Scoped function entered outside a loop and exited by one of the loop's
// tasks stands in for the loop's goroutine while it tears down: its calls
// to the loop run inline. Afterwards the task is the loop's again.
func TestScopedExitedOnLoopCallsItsLoop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // fn's goroutine ends with its use
	for _, opt := range []sy.Option{sy.Serial(), sy.LockOSThread()} {
		l := sy.New(opt)
		var calls int
		call := func(ctx context.Context) {
			_, err := sy.Call(ctx, l, func(context.Context) (int, error) { calls++; return 0, nil })
			assert.NoError(t, err)
		}
		// A ctx that names the loop, as a task's does, but outlives the
		// task: fn keeps Enter's ctx throughout.
		var loopCtx context.Context
		require.NoError(t, inTask(l, func(ctx context.Context) error {
			loopCtx = context.WithoutCancel(ctx)
			return nil
		}))
		var c scopedCounts
		_, exit, err := sy.Enter(loopCtx, c.manager(call))
		require.NoError(t, err)
		var final error
		require.NoError(t, inTask(l, func(ctx context.Context) error {
			final = errBody
			exit(&final)
			call(ctx) // inline: the loop's goroutine has its identity back
			return nil
		}))
		c.check(t, final)
		assert.Equal(t, 3, calls)
		require.NoError(t, l.Close())
	}
}

// A Scoped function that calls runtime.Goexit under Enter ends the goroutine
// that entered it (before its yield) or exited it (after), as if that
// goroutine had called Goexit; deferred calls run.
func TestScopedGoexitUnderEnter(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // fn's goroutine ends with its use
	t.Run("before yield", func(t *testing.T) {
		cleanups, returned := 0, false
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			defer func() { cleanups++ }()
			runtime.Goexit()
			return yield(1)
		})
		inGoroutine(func() {
			sy.Enter(context.Background(), cm)
			returned = true
		})
		assert.False(t, returned, "Enter returned")
		assert.Equal(t, 1, cleanups)
	})
	t.Run("after yield", func(t *testing.T) {
		cleanups, returned := 0, false
		var seen error
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			defer func() { cleanups++ }()
			seen = yield(1)
			runtime.Goexit()
			return nil
		})
		inGoroutine(func() {
			_, exit, err := sy.Enter(context.Background(), cm)
			require.NoError(t, err)
			err = errBody
			exit(&err)
			returned = true
		})
		assert.False(t, returned, "exit returned")
		assert.Equal(t, errBody, seen)
		assert.Equal(t, 1, cleanups)
	})
}

// When a Call that a Scoped function makes to its LockOSThread loop, from a
// task of that loop, calls runtime.Goexit, the Goexit ends the task, as an
// inline Call's does, and unwinds fn too; the loop goes on.
func TestScopedStandInCallGoexit(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // fn's goroutine ends with its use
	for _, inTeardown := range []bool{false, true} {
		l := sy.New(sy.LockOSThread())
		cleanups, returned := 0, false
		goexit := func(ctx context.Context) {
			sy.Call(ctx, l, func(context.Context) (int, error) {
				runtime.Goexit()
				return 0, nil
			})
		}
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			defer func() { cleanups++ }()
			if !inTeardown {
				goexit(ctx)
			}
			err := yield(1)
			goexit(ctx)
			return err
		})
		err := inTask(l, func(ctx context.Context) error {
			err := useEnter(ctx, cm, func(int) error { return nil })
			returned = true
			return err
		})
		assert.ErrorContains(t, err, "called runtime.Goexit", "teardown: %v", inTeardown)
		assert.False(t, returned, "the task went on")
		assert.Equal(t, 1, cleanups)
		require.NoError(t, inTask(l, func(context.Context) error { return nil }), "the loop serves")
		require.NoError(t, l.Close())
	}
}
