package synchronicity_test

import (
	"context"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// threadProbe records the OS thread its Enter and Exit ran on.
type threadProbe struct{ enterTid, exitTid int }

func (p *threadProbe) Enter(context.Context) (int, error) {
	p.enterTid = syscall.Gettid()
	return p.enterTid, nil
}

func (p *threadProbe) Exit(_ context.Context, err error) error {
	p.exitTid = syscall.Gettid()
	return err
}

// On a LockOSThread loop Enter and Exit run on the loop's thread and the
// body on the caller's.
func TestOnLoopLockedThread(t *testing.T) {
	l := sy.New(sy.LockOSThread())
	defer l.Close()
	ctx := context.Background()
	loopTid, err := sy.Call(ctx, l, func(context.Context) (int, error) { return syscall.Gettid(), nil })
	require.NoError(t, err)

	// lock pins the (sub)test's goroutine, so its thread is one to compare with.
	lock := func(t *testing.T) int {
		runtime.LockOSThread()
		tid := syscall.Gettid()
		require.NotEqual(t, loopTid, tid)
		return tid
	}

	t.Run("Enter", func(t *testing.T) {
		callerTid := lock(t)
		defer runtime.UnlockOSThread()
		p := &threadProbe{}
		err := useEnter(ctx, sy.OnLoop[int](l, p), func(v int) error {
			assert.Equal(t, loopTid, v)
			assert.Equal(t, callerTid, syscall.Gettid(), "body")
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, loopTid, p.enterTid)
		assert.Equal(t, loopTid, p.exitTid)
	})
	t.Run("With", func(t *testing.T) {
		callerTid := lock(t)
		defer runtime.UnlockOSThread()
		p := &threadProbe{}
		for _, err := range sy.With(ctx, sy.OnLoop[int](l, p)) {
			require.NoError(t, err)
			assert.Equal(t, callerTid, syscall.Gettid(), "body")
		}
		assert.Equal(t, loopTid, p.enterTid)
		assert.Equal(t, loopTid, p.exitTid)
	})
	t.Run("Scoped", func(t *testing.T) {
		callerTid := lock(t)
		defer runtime.UnlockOSThread()
		var tids []int
		cm := sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			tids = append(tids, syscall.Gettid())
			err := yield(0)
			tids = append(tids, syscall.Gettid())
			return err
		})
		require.NoError(t, sy.Do(ctx, sy.OnLoop(l, cm), func(int) error {
			assert.Equal(t, callerTid, syscall.Gettid(), "body")
			return nil
		}))
		assert.Equal(t, []int{loopTid, loopTid}, tids, "fn before and after yield")
	})
	t.Run("ExitStack", func(t *testing.T) {
		callerTid := lock(t)
		defer runtime.UnlockOSThread()
		p, q := &threadProbe{}, &threadProbe{}
		var stack sy.ExitStack
		_, err := sy.Push(ctx, &stack, sy.OnLoop[int](l, p))
		require.NoError(t, err)
		_, err = sy.Push(ctx, &stack, q) // not on the loop
		require.NoError(t, err)
		require.NoError(t, stack.Close(ctx, nil))
		assert.Equal(t, []int{loopTid, loopTid}, []int{p.enterTid, p.exitTid})
		assert.Equal(t, []int{callerTid, callerTid}, []int{q.enterTid, q.exitTid})
	})
}
