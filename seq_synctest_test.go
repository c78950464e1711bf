//go:build go1.25

package synchronicity_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
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

// A producer that waits after each value until the consumer has it: each
// value must reach the consumer while the producer waits. If one were held
// back, the two would wait for each other, and the bubble would report the
// deadlock. Only on a concurrent loop: on a serial one, Prefetch(n) hands
// values over in steps of n.
func TestSeqPrefetchHandsOverAtOnce(t *testing.T) {
	for _, n := range []int{1, 4, 256} {
		t.Run(fmt.Sprint("prefetch", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := sy.New()
				defer l.Close()
				got := make(chan int)
				p := func(ctx context.Context, yield func(int) bool) error {
					for i := range 100 {
						if !yield(i) {
							return nil
						}
						assert.Equal(t, i, <-got)
					}
					return nil
				}
				seen := 0
				for v, err := range sy.Seq(context.Background(), l, p, sy.Prefetch(n)) {
					require.NoError(t, err)
					seen++
					got <- v
				}
				assert.Equal(t, 100, seen)
			})
		})
	}
}

// Prefetch(n) bounds how far the producer gets ahead of a body that
// waits: the first body waits until the producer can go no further.
func TestPrefetchBoundsReadAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sy.New()
		defer l.Close()
		var produced atomic.Int64
		produce := func(ctx context.Context, yield func(int) bool) error {
			for i := range 40 {
				produced.Add(1)
				if !yield(i) {
					return nil
				}
			}
			return nil
		}
		ahead := func(opts ...sy.SeqOption) int64 {
			produced.Store(0)
			var most, consumed int64
			for range sy.Seq(context.Background(), l, produce, opts...) {
				if consumed++; consumed == 1 {
					synctest.Wait()
				}
				most = max(most, produced.Load()-consumed)
			}
			assert.EqualValues(t, 40, consumed)
			return most
		}
		assert.LessOrEqual(t, ahead(sy.Prefetch(3)), int64(3+2), "Prefetch(3) bounds the read-ahead")
		assert.Greater(t, ahead(sy.Prefetch(16)), int64(3+2), "Prefetch(16) goes further")
		assert.LessOrEqual(t, ahead(), int64(1), "without Prefetch, lockstep")
	})
}

// Prefetch(n) means at most n values ahead of the consumer in every form
// and on every kind of loop: after each value the consumer receives, once
// everything else has run as far as it can, the producer has made at most n
// values the consumer has not received. A stream is at least one ahead (the
// value waiting in its send), so Prefetch(0) makes it unbuffered.
func TestPrefetchIsHowFarAhead(t *testing.T) {
	kinds := map[string][]sy.Option{"concurrent": nil, "serial": {sy.Serial()}, "locked": {sy.LockOSThread()}}
	for kind, opts := range kinds {
		for _, n := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("%s/%d", kind, n), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					l := sy.New(opts...)
					defer l.Close()
					var made atomic.Int64
					produce := func(ctx context.Context, yield func(int) bool) error {
						for i := range 20 {
							made.Add(1)
							if !yield(i) {
								return nil
							}
						}
						return nil
					}
					check := func(form string, got int64, allowed int) {
						synctest.Wait()
						assert.LessOrEqual(t, made.Load()-got, int64(allowed), "%s: made %d, received %d", form, made.Load(), got)
					}
					made.Store(0)
					got := int64(0)
					for _, err := range sy.Seq(context.Background(), l, produce, sy.Prefetch(n)) {
						require.NoError(t, err)
						got++
						check("Seq", got, n)
					}
					made.Store(0)
					got = 0
					s := sy.Start(context.Background(), l, produce, sy.Prefetch(n))
					for range s.C() {
						got++
						check("Start", got, max(n, 1))
					}
					require.NoError(t, s.Stop())
				})
			})
		}
	}
}
