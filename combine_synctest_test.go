//go:build go1.25

package synchronicity_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	sy "github.com/synchronicity-go/synchronicity"
)

// Settle waits for every future and cancels none when one fails, as All
// would. The slow ones are released only once Settle has seen the failure
// and is waiting: in the bubble, the sleep ends when everything else is
// blocked.
func TestSettleCancelsNothingOnError(t *testing.T) {
	for _, name := range []string{"concurrent", "limited", "serial", "locked"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				l := loops(t)[name]
				errBody := errors.New("body")
				release := make(chan struct{})
				var cancelled atomic.Int32
				slow := func(i int) func(context.Context) (int, error) {
					return func(ctx context.Context) (int, error) {
						select {
						case <-release:
						case <-ctx.Done():
							cancelled.Add(1)
						}
						return i, nil
					}
				}
				// The failure first, so that under Limit(2) the slow ones
				// cannot keep it from its turn.
				failed := sy.Go(ctx, l, func(ctx context.Context) (int, error) { return -1, errBody })
				<-failed.Done()
				fs := []*sy.Future[int]{sy.Go(ctx, l, slow(0)), failed, sy.Go(ctx, l, slow(2))}
				go func() {
					time.Sleep(time.Second)
					close(release)
				}()
				vs, errs := sy.Settle(ctx, fs...)
				assert.Equal(t, []int{0, -1, 2}, vs, "the failed future's value is kept, as Result gives it")
				assert.Equal(t, []error{nil, errBody, nil}, errs)
				assert.Zero(t, cancelled.Load())
				assert.ErrorIs(t, errors.Join(errs...), errBody)
			})
		})
	}
}
