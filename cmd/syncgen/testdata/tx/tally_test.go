package tx

import (
	"context"
	"errors"
	"sync"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
)

// TestBatchesAndAddsShareOneTally has goroutines open batches that are
// dropped while others add: no batch may panic for another's, and no add
// may be dropped with one.
func TestBatchesAndAddsShareOneTally(t *testing.T) {
	ctx := context.Background()
	tl := NewTally(serial(t), &tally{})
	const goroutines, rounds = 16, 25
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				if (g+r)%2 == 0 {
					if err := tl.Add(ctx, 1); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				err := sy.Do(ctx, tl, func(n int) error {
					if n < 1 {
						t.Errorf("batch number %d", n)
					}
					return errRollback
				})
				if !errors.Is(err, errRollback) {
					t.Errorf("batch: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got, want := must(tl.Total()), goroutines*rounds/2; got != want {
		t.Errorf("total %d, want %d", got, want)
	}
}
