package tx

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
)

// FuzzTransactions composes random schedules of TestTransactionsAndCallsShareOneLedger's
// uses on a serial or a locked loop: 2 to 7 goroutines, each with its own
// list of ways to use the Ledger, some with a context that another
// goroutine cancels part-way. Whatever the schedule, no use panics, and the
// rows in the end are exactly those that the uses reported committed or
// inserted: a cancelled use may fail, but never loses or half-keeps a row.
// The seeds run in every go test.
func FuzzTransactions(f *testing.F) {
	f.Add([]byte{0, 3, 0, 1, 2, 3, 4, 0, 1, 2})
	f.Add([]byte{1, 5, 2, 2, 2, 3, 3, 3, 4, 4, 4, 0})
	f.Add([]byte{0, 4, 8 | 0, 2, 8 | 2, 3, 8 | 4, 1, 16 | 3, 16 | 2})
	f.Add([]byte{1, 6, 8 | 2, 8 | 0, 8 | 1, 8 | 3, 8 | 4, 2, 2, 0, 16 | 2, 16 | 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		opts := []sy.Option{sy.Serial()}
		if data[0]&1 != 0 {
			opts = []sy.Option{sy.LockOSThread()}
		}
		l := sy.New(opts...)
		lg := NewLedger(l, &ledger{})
		goroutines, ways := 2+int(data[1])%6, data[2:]
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			want []string
		)
		kept := func(names ...string) {
			mu.Lock()
			want = append(want, names...)
			mu.Unlock()
		}
		for g := range goroutines {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := g; r < len(ways); r += goroutines {
					b := ways[r]
					if b&8 != 0 {
						go cancel() // mid-use, or before the next one
					}
					if b&16 != 0 {
						runtime.Gosched()
					}
					err := useOnce(ctx, lg, fmt.Sprintf("%d.%d", g, r), int(b&7)%5, kept)
					if err != nil && !errors.Is(err, context.Canceled) {
						t.Errorf("goroutine %d use %d (way %d): %v", g, r, b&7%5, err)
					}
				}
			}()
		}
		wg.Wait()
		got := must(lg.Rows())
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("rows %v, want %v; missing %v, extra %v", got, want, minus(want, got), minus(got, want))
		}
	})
}
