package synchronicity_test

import (
	"context"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// A LockOSThread loop runs every task on one OS thread, whichever goroutine
// submits it and however it is submitted, and no other goroutine runs there.
func TestLockOSThreadLoopUsesOneThread(t *testing.T) {
	l := sy.New(sy.LockOSThread())
	defer l.Close()
	tid := func(ctx context.Context) (int, error) { runtime.Gosched(); return syscall.Gettid(), nil }
	want, err := sy.Call(context.Background(), l, tid)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				got, err := sy.Call(context.Background(), l, tid)
				assert.NoError(t, err)
				assert.Equal(t, want, got, "Call")
				got, err = sy.Go(context.Background(), l, tid).Result()
				assert.NoError(t, err)
				assert.Equal(t, want, got, "Go")
				assert.NotEqual(t, want, syscall.Gettid(), "a caller ran on the loop's thread")
			}
		}()
	}
	wg.Wait()
}

// A task that calls runtime.Goexit on a LockOSThread loop does not move the
// loop off its thread: later tasks run on the same thread, and a lockstep
// producer being ranged and an OnLoop(Scoped) manager still entered, both
// coroutines made on that thread, go on and finish there.
func TestLockOSThreadLoopKeepsItsThreadAcrossGoexit(t *testing.T) {
	l := sy.New(sy.LockOSThread())
	defer func() { assert.NoError(t, l.Close()) }()
	tid := func(context.Context) (int, error) { return syscall.Gettid(), nil }
	want, err := sy.Call(context.Background(), l, tid)
	require.NoError(t, err)
	goexit := func() {
		_, err := sy.Go(context.Background(), l, func(context.Context) (int, error) { runtime.Goexit(); return 0, nil }).Result()
		require.ErrorContains(t, err, "runtime.Goexit")
	}

	var cleanups []int
	var exits []error
	cm := sy.OnLoop(l, sy.Scoped(func(ctx context.Context, yield func(int) error) error {
		defer func() { cleanups = append(cleanups, syscall.Gettid()) }()
		return yield(syscall.Gettid())
	}))
	in, exit, err := sy.Enter(context.Background(), cm)
	require.NoError(t, err)
	assert.Equal(t, want, in)

	var got []int
	for v, err := range sy.Seq(context.Background(), l, func(ctx context.Context, yield func(int) bool) error {
		defer func() { cleanups = append(cleanups, syscall.Gettid()) }()
		for i := range 4 {
			if !yield(i*1000 + syscall.Gettid()%1000) {
				return nil
			}
		}
		return nil
	}) {
		require.NoError(t, err)
		got = append(got, v)
		goexit() // between two steps of the producer
	}
	var exitErr error
	exit(&exitErr)
	exits = append(exits, exitErr)
	goexit()
	now, err := sy.Call(context.Background(), l, tid)
	require.NoError(t, err)
	assert.Equal(t, want, now, "the loop moved to another thread")
	assert.Equal(t, []int{want % 1000, 1000 + want%1000, 2000 + want%1000, 3000 + want%1000}, got)
	assert.Equal(t, []int{want, want}, cleanups)
	assert.Equal(t, []error{nil}, exits)
}
