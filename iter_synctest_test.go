//go:build go1.25

package synchronicity_test

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// Streams dropped inside a testing/synctest bubble, their channels asked
// for or not, are collected without harm (the collector's goroutine is
// outside the bubble, so it must not touch their channels), and the loop's
// Close stops them, running each producer's cleanup once.
func TestDroppedStreamsInABubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New()
		cs := []*counter{{n: 1 << 30}, {n: 1 << 30}}
		func() {
			sy.Start(context.Background(), l, cs[0].produce)
			<-sy.Start(t.Context(), l, cs[1].produce, sy.Prefetch(2)).C()
		}()
		for range 5 {
			runtime.GC()
			synctest.Wait()
		}
		for _, c := range cs {
			assert.EqualValues(t, 0, c.cleanups.Load(), "stopped by the collector")
		}
		require.NoError(t, l.Close())
		for _, c := range cs {
			assert.EqualValues(t, 1, c.cleanups.Load())
		}
	})
}
