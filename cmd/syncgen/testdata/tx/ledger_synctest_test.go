//go:build go1.25

package tx

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"

	sy "github.com/synchronicity-go/synchronicity"
)

// TestCallWaitingForATransactionHonoursCtx has another goroutine call the
// Ledger, in each form, while a transaction is open: the call waits, and
// when its ctx ends it returns ctx's error without having run.
func TestCallWaitingForATransactionHonoursCtx(t *testing.T) {
	for name, call := range map[string]func(context.Context, *Ledger) error{
		"blocking": func(ctx context.Context, lg *Ledger) error { return lg.Insert(ctx, "late") },
		"async": func(ctx context.Context, lg *Ledger) error {
			_, err := lg.Async().Insert(ctx, "late").Wait(context.Background())
			return err
		},
		"producer": func(ctx context.Context, lg *Ledger) error {
			for _, err := range lg.Scan(ctx) {
				return err
			}
			return nil
		},
		"stream": func(ctx context.Context, lg *Ledger) error {
			s := lg.Async().Scan(ctx)
			for range s.C() {
			}
			return s.Stop()
		},
		"transaction": func(ctx context.Context, lg *Ledger) error {
			return sy.Do(ctx, lg, func(tx *Ledger) error { return tx.Insert(ctx, "late") })
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				l := sy.New(sy.Serial())
				defer func() {
					if err := l.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				}()
				lg := NewLedger(l, &ledger{})
				if err := lg.Insert(ctx, "before"); err != nil {
					t.Fatal(err)
				}
				tx, exit, err := sy.Enter(ctx, lg)
				if err != nil {
					t.Fatal(err)
				}
				waitCtx, cancel := context.WithCancel(ctx)
				res := make(chan error, 1)
				go func() { res <- call(waitCtx, lg) }()
				synctest.Wait()
				select {
				case err := <-res:
					t.Errorf("the call returned %v while another goroutine's transaction was open", err)
				default:
					cancel()
					if err := <-res; !errors.Is(err, context.Canceled) {
						t.Errorf("the call returned %v, want context.Canceled", err)
					}
				}
				if err := tx.Insert(ctx, "in"); err != nil {
					t.Error(err)
				}
				exit(nil)
				if got, want := must(lg.Rows()), []string{"before", "in"}; !slices.Equal(got, want) {
					t.Errorf("rows %v, want %v", got, want)
				}
				cancel()
			})
		})
	}
}

// TestScanStepsWaitForATransaction has a transaction begin while another
// goroutine's scan is in its loop body: the transaction does not wait for
// the body, and the scan's next step waits for the transaction's Exit.
func TestScanStepsWaitForATransaction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		l := sy.New(sy.Serial())
		defer func() {
			if err := l.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		lg := NewLedger(l, &ledger{})
		for _, r := range []string{"a", "b"} {
			if err := lg.Insert(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, next, done := make(chan string), make(chan struct{}), make(chan error, 1)
		go func() {
			for r, err := range lg.Scan(ctx) {
				if err != nil {
					done <- err
					return
				}
				got <- r
				<-next
			}
			done <- nil
		}()
		var rows []string
		rows = append(rows, <-got)
		tx, exit, err := sy.Enter(ctx, lg)
		if err != nil {
			t.Fatal(err)
		}
		next <- struct{}{}
		synctest.Wait()
		select {
		case r := <-got:
			t.Errorf("the scan stepped to %q inside another goroutine's transaction", r)
		case err := <-done:
			t.Errorf("the scan ended with %v inside another goroutine's transaction", err)
		default:
		}
		if err := tx.Insert(ctx, "c"); err != nil {
			t.Error(err)
		}
		exit(nil)
		for r := range got {
			rows = append(rows, r)
			next <- struct{}{}
			if len(rows) == 3 {
				break
			}
		}
		if err := <-done; err != nil {
			t.Error(err)
		}
		if want := []string{"a", "b", "c"}; !slices.Equal(rows, want) {
			t.Errorf("scanned %v, want %v", rows, want)
		}
	})
}

// TestBodyCallingTheLedgerItEnteredWaitsForItsOwnExit shows the mistake
// Enter's doc warns of: the body calls the Ledger it entered, not the one
// Enter gave it, and that call waits for the body's own Exit until its ctx
// ends. The same goes for a Tally, whose Enter gives no Tally at all.
func TestBodyCallingTheLedgerItEnteredWaitsForItsOwnExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		l := sy.New(sy.Serial())
		defer func() {
			if err := l.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
		lg := NewLedger(l, &ledger{})
		tl := NewTally(l, &tally{})
		for name, body := range map[string]func(context.Context) error{
			"Ledger": func(ctx context.Context) error {
				return sy.Do(context.Background(), lg, func(*Ledger) error { return lg.Insert(ctx, "self") })
			},
			"Tally": func(ctx context.Context) error {
				return sy.Do(context.Background(), tl, func(int) error { return tl.Add(ctx, 1) })
			},
		} {
			callCtx, cancel := context.WithCancel(ctx)
			res := make(chan error, 1)
			go func() { res <- body(callCtx) }()
			synctest.Wait()
			select {
			case err := <-res:
				t.Errorf("%s: the body's call returned %v before its ctx ended", name, err)
			default:
				cancel()
				if err := <-res; !errors.Is(err, context.Canceled) {
					t.Errorf("%s: the body's call returned %v, want context.Canceled", name, err)
				}
			}
			cancel()
		}
		if got := must(lg.Rows()); len(got) != 0 {
			t.Errorf("rows %v, want none", got)
		}
		if got := must(tl.Total()); got != 0 {
			t.Errorf("total %d, want 0", got)
		}
	})
}
