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
		require.NoError(t, unwind(ctx, &stack, nil))
		assert.Equal(t, []int{loopTid, loopTid}, []int{p.enterTid, p.exitTid})
		assert.Equal(t, []int{callerTid, callerTid}, []int{q.enterTid, q.exitTid})
	})
}

// A Scoped function entered by a task of a LockOSThread loop runs on a
// goroutine of its own, which stands in for the loop's while that waits for
// it: what it runs on the loop — a Call, OnLoop's Enter and Exit, also from
// a Scoped function nested in it — still runs on the loop's thread, before
// and after its yield, whether the task exits it or another goroutine does.
func TestScopedStandInKeepsLoopThread(t *testing.T) {
	l := sy.New(sy.LockOSThread())
	defer l.Close()
	tid := func(ctx context.Context) int {
		v, err := sy.Call(ctx, l, func(context.Context) (int, error) { return syscall.Gettid(), nil })
		require.NoError(t, err)
		return v
	}
	loopTid := tid(context.Background())
	var tids []int
	probes := []*threadProbe{}
	// scoped calls the loop, and enters an OnLoop manager, on both sides of
	// its yield; inner, if set, is a Scoped manager to enter around yield.
	scoped := func(inner sy.ContextManager[int]) sy.ContextManager[int] {
		return sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			tids = append(tids, tid(ctx))
			p := &threadProbe{}
			probes = append(probes, p)
			_, exit, err := sy.Enter(ctx, sy.OnLoop[int](l, p))
			require.NoError(t, err)
			if inner != nil {
				err = useEnter(ctx, inner, yield)
			} else {
				err = yield(1)
			}
			exit(&err)
			tids = append(tids, tid(ctx))
			return err
		})
	}
	for _, exitOutside := range []bool{false, true} {
		tids, probes = nil, nil
		var exit func(*error)
		_, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
			ctx = context.WithoutCancel(ctx) // fn keeps it beyond the task
			_, x, err := sy.Enter(ctx, scoped(scoped(nil)))
			if err != nil || exitOutside {
				exit = x
				return 0, err
			}
			x(&err)
			return 0, err
		})
		require.NoError(t, err)
		if exitOutside {
			exit(&err)
			require.NoError(t, err)
		}
		assert.Equal(t, []int{loopTid, loopTid, loopTid, loopTid}, tids, "exit outside: %v", exitOutside)
		require.Len(t, probes, 2)
		for _, p := range probes {
			assert.Equal(t, []int{loopTid, loopTid}, []int{p.enterTid, p.exitTid}, "OnLoop's Enter and Exit")
		}
	}
}
