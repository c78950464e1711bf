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
