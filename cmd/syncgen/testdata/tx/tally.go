package tx

import (
	"context"
	"errors"
)

//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=tally -name=Tally

// tally counts, and batches: a batch is a context manager whose value is
// its number, not the tally, and adds made while one is open count only
// if it commits. It is not safe for concurrent use.
type tally struct {
	n, pending int
	batches    int
	open       bool
}

// Add adds d.
func (t *tally) Add(ctx context.Context, d int) error {
	if t.open {
		t.pending += d
	} else {
		t.n += d
	}
	return nil
}

// Total returns the committed count.
func (t *tally) Total() int { return t.n }

// Enter opens a batch and returns its number.
func (t *tally) Enter(ctx context.Context) (int, error) {
	if t.open {
		return 0, errors.New("tx: a batch is already open")
	}
	t.open = true
	t.batches++
	return t.batches, nil
}

// Exit commits the batch, or drops it if err is not nil.
func (t *tally) Exit(ctx context.Context, err error) error {
	if err == nil {
		t.n += t.pending
	}
	t.pending, t.open = 0, false
	return err
}
