// Package two has two types with façades, one of which hands out the
// other: syncgen warns that it goes unwrapped.
package two

import "context"

//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=db -name=DB
//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=tx -name=Tx

type db struct{ n int }

// Begin starts a transaction.
func (d *db) Begin(ctx context.Context) (*tx, error) { return &tx{d: d}, nil }

type tx struct{ d *db }

// Add adds to the count.
func (t *tx) Add(ctx context.Context, k int) error { t.d.n += k; return nil }
