package tx

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func serial(tb testing.TB) *sy.Loop {
	l := sy.New(sy.Serial(), sy.Name("tx"))
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return l
}

var errRollback = errors.New("rolled back")

// TestTransactionsAndCallsShareOneLedger has many goroutines use one
// Ledger at once, each in turn committing transactions (through Do and
// through Enter), rolling them back, and inserting rows with plain and
// Async calls while scanning. No use may panic, no plain insert may join
// (and be rolled back with) another goroutine's transaction, and no scan
// step may run inside one: in the end the rows are exactly those committed
// and inserted plainly.
func TestTransactionsAndCallsShareOneLedger(t *testing.T) {
	ctx := context.Background()
	lg := NewLedger(serial(t), &ledger{})
	const goroutines, rounds = 32, 25
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				name := fmt.Sprintf("%d.%d", g, r)
				if err := useOnce(ctx, lg, name, (g+r)%5, kept); err != nil {
					t.Errorf("goroutine %d round %d: %v", g, r, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := must(lg.Rows())
	n, err := lg.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if n != len(want) || !slices.Equal(got, want) {
		t.Errorf("%d rows, want %d; missing %v, extra %v", n, len(want), minus(want, got), minus(got, want))
	}
}

// useOnce uses lg in one of five ways, calling kept with the rows it
// committed or inserted.
func useOnce(ctx context.Context, lg *Ledger, name string, way int, kept func(...string)) (err error) {
	switch way {
	case 0: // a transaction that commits, through Do
		err := sy.Do(ctx, lg, func(tx *Ledger) error {
			if err := tx.Insert(ctx, name+"a"); err != nil {
				return err
			}
			return tx.Insert(ctx, name+"b")
		})
		if err == nil {
			kept(name+"a", name+"b")
		}
		return err
	case 1: // a transaction that rolls back
		err := sy.Do(ctx, lg, func(tx *Ledger) error {
			if err := tx.Insert(ctx, name+"x"); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			return fmt.Errorf("rolled back with %w", err)
		}
		return nil
	case 2: // a transaction that commits, through Enter and its exit
		tx, exit, enterErr := sy.Enter(ctx, lg) // not err, which the exit below must see
		if enterErr != nil {
			return enterErr
		}
		defer func() {
			if exit(&err); err == nil {
				kept(name + "e")
			}
		}()
		return tx.Insert(ctx, name+"e")
	case 3: // a plain call
		if err := lg.Insert(ctx, name+"p"); err != nil {
			return err
		}
		kept(name + "p")
		return nil
	default: // an Async call, and a scan
		f := lg.Async().Insert(ctx, name+"f")
		var scanErr error
		for _, err := range lg.Scan(ctx) {
			if err != nil {
				scanErr = err
				break
			}
		}
		if _, err := f.Result(); err != nil {
			return errors.Join(err, scanErr)
		}
		kept(name + "f")
		return scanErr
	}
}

// minus returns the names in a that are not in b.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestLedgerOfATransactionEndsWithIt checks that Enter returns a Ledger of
// its own, whose calls fail once Exit has run, and the misuses of Enter and
// Exit.
func TestLedgerOfATransactionEndsWithIt(t *testing.T) {
	ctx := context.Background()
	lg := NewLedger(serial(t), &ledger{})
	tx, exit, err := sy.Enter(ctx, lg)
	if err != nil {
		t.Fatal(err)
	}
	defer exit(nil) // the loop's Close waits for it
	if tx == lg {
		t.Fatal("Enter returned the Ledger it was called on, not one of the transaction's")
	}
	if err := tx.Insert(ctx, "in"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Enter(ctx); err == nil {
		t.Error("Enter on a transaction's Ledger succeeded")
	}
	exit(nil)

	if err := tx.Insert(ctx, "late"); err == nil {
		t.Error("Insert through a transaction's Ledger after its Exit succeeded")
	}
	if _, err := tx.Async().Insert(ctx, "late").Wait(ctx); err == nil {
		t.Error("Async Insert through a transaction's Ledger after its Exit succeeded")
	}
	for _, err := range tx.Scan(ctx) {
		if err == nil {
			t.Error("Scan through a transaction's Ledger after its Exit yielded a row")
		}
	}
	if err := tx.Async().Scan(ctx).Stop(); err == nil {
		t.Error("Async Scan through a transaction's Ledger after its Exit succeeded")
	}
	if _, err := tx.Rows(); err == nil {
		t.Error("Rows through a transaction's Ledger after its Exit succeeded")
	}
	mustPanic(t, "Exit without Enter", func() { lg.Exit(ctx, nil) })
	mustPanic(t, "Exit twice", func() { tx.Exit(ctx, nil) })
	if got := must(lg.Rows()); !slices.Equal(got, []string{"in"}) {
		t.Errorf("rows %v, want [in]", got)
	}
}

func mustPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	fn()
}

// must returns v, failing the test (by a panic) on a façade's error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
