// Package tx has a type whose Enter and Exit make a transaction, as a
// database connection's do: while one is open, every call joins it, and a
// rollback takes the rows it inserted with it.
package tx

import (
	"context"
	"errors"
	"fmt"
)

//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=ledger -name=Ledger

// ledger is a table of names that is not safe for concurrent use: it
// panics when two calls overlap.
type ledger struct {
	rows    []string // committed
	pending []string // inserted in the open transaction
	inTx    bool
	busy    bool
}

// use marks l busy until the returned function is called.
func use(l *ledger) func() {
	if l.busy {
		panic("tx: ledger used concurrently")
	}
	l.busy = true
	return func() { l.busy = false }
}

// Insert adds a row; in a transaction, it is committed with it.
func (l *ledger) Insert(ctx context.Context, name string) error {
	defer use(l)()
	if l.inTx {
		l.pending = append(l.pending, name)
	} else {
		l.rows = append(l.rows, name)
	}
	return nil
}

// Count returns the number of committed rows.
func (l *ledger) Count(ctx context.Context) (int, error) {
	defer use(l)()
	return len(l.rows), nil
}

// Rows returns the committed rows.
func (l *ledger) Rows() []string {
	defer use(l)()
	return append([]string(nil), l.rows...)
}

// Scan yields the committed rows. A step taken while a transaction is open
// fails: a scan outside the transaction must not run inside it.
func (l *ledger) Scan(ctx context.Context, yield func(string) bool) error {
	for i := 0; ; i++ {
		done := use(l)
		if l.inTx {
			done()
			return errors.New("tx: scan step inside a transaction")
		}
		if i >= len(l.rows) {
			done()
			return nil
		}
		r := l.rows[i]
		done()
		if !yield(r) {
			return nil
		}
	}
}

// Enter begins a transaction; the ledger is its handle.
func (l *ledger) Enter(ctx context.Context) (*ledger, error) {
	defer use(l)()
	if l.inTx {
		return nil, errors.New("tx: a transaction is already open")
	}
	l.inTx = true
	return l, nil
}

// Exit commits the transaction, or rolls it back if err is not nil.
func (l *ledger) Exit(ctx context.Context, err error) error {
	defer use(l)()
	if !l.inTx {
		return errors.Join(err, fmt.Errorf("tx: Exit without a transaction"))
	}
	if err == nil {
		l.rows = append(l.rows, l.pending...)
	}
	l.pending, l.inTx = nil, false
	return err
}
