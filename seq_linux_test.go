package synchronicity_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// On a LockOSThread loop the producer's steps and other tasks share the
// loop's one thread, and the tasks run between the producer's steps.
func TestSeqLockedLoopInterleaves(t *testing.T) {
	l := sy.New(sy.LockOSThread())
	defer l.Close()
	loopTid, err := sy.Call(context.Background(), l, func(context.Context) (int, error) { return syscall.Gettid(), nil })
	require.NoError(t, err)

	var events []string // appended only on the loop's thread, so no lock
	p := func(ctx context.Context, yield func(int) bool) error {
		for i := range 3 {
			assert.Equal(t, loopTid, syscall.Gettid(), "producer step %d", i)
			events = append(events, "produce")
			if !yield(i) {
				return nil
			}
		}
		return nil
	}
	for v, err := range sy.Seq(context.Background(), l, p) {
		require.NoError(t, err)
		// A task submitted from the body runs before the producer's next step.
		_, err := sy.Call(context.Background(), l, func(context.Context) (int, error) {
			assert.Equal(t, loopTid, syscall.Gettid())
			events = append(events, "task")
			return v, nil
		})
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"produce", "task", "produce", "task", "produce", "task"}, events)
}

// A producer on a serial loop may make blocking calls to its own loop.
func TestSeqSerialProducerCallsItsLoop(t *testing.T) {
	l := sy.New(sy.LockOSThread())
	defer l.Close()
	p := func(ctx context.Context, yield func(int) bool) error {
		for i := range 3 {
			v, err := sy.Call(ctx, l, func(context.Context) (int, error) { return i * 10, nil })
			if err != nil || !yield(v) {
				return err
			}
		}
		return nil
	}
	vs, errs := collect(sy.Seq(context.Background(), l, p, sy.Prefetch(2)))
	assert.Empty(t, errs)
	assert.Equal(t, []int{0, 10, 20}, vs)
}
