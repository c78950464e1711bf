// Package facades uses a façade shaped like syncgen's: methods of the
// user's own types that return the package's futures, streams and
// sequences fall under the same rules as the package's own functions.
package facades

import (
	"context"
	"errors"
	"fmt"
	"iter"

	sy "github.com/synchronicity-go/synchronicity"
)

type conn struct{ rows []string }

// DB runs conn's methods on a loop.
type DB struct {
	loop *sy.Loop
	impl *conn
}

// DBAsync is DB's async side.
type DBAsync struct{ db *DB }

// Async returns the async forms of DB's methods.
func (db *DB) Async() DBAsync { return DBAsync{db} }

// Query returns row id.
func (db *DB) Query(ctx context.Context, id int) (string, error) {
	return sy.Call(ctx, db.loop, func(context.Context) (string, error) { return db.impl.rows[id], nil })
}

// Query starts the query and returns its future.
func (a DBAsync) Query(ctx context.Context, id int) *sy.Future[string] {
	return sy.Go(ctx, a.db.loop, func(context.Context) (string, error) { return a.db.impl.rows[id], nil })
}

// Scan yields every row.
func (db *DB) Scan(ctx context.Context) iter.Seq2[string, error] {
	return sy.Seq(ctx, db.loop, func(ctx context.Context, yield func(string) bool) error {
		for _, r := range db.impl.rows {
			if !yield(r) {
				return nil
			}
		}
		return nil
	})
}

// Scan starts the scan and returns its stream.
func (a DBAsync) Scan(ctx context.Context) *sy.Stream[string] {
	return sy.Start(ctx, a.db.loop, func(ctx context.Context, yield func(string) bool) error { return nil })
}

// Pairs is not from the package, but of the same shape.
func Pairs() iter.Seq2[int, error] { return func(func(int, error) bool) {} }

// Names yields no errors: not a sequence the rules are about.
func Names() iter.Seq2[int, string] { return func(func(int, string) bool) {} }

var tx = sy.Scoped(func(ctx context.Context, yield func(int) error) error { return yield(1) })

// Wrong drops what the façade hands back.
func Wrong(ctx context.Context, db *DB) {
	db.Async().Query(ctx, 8)      // want `the future returned by DBAsync.Query is dropped`
	db.Async().Scan(ctx)          // want `the stream returned by DBAsync.Scan is dropped`
	for r := range db.Scan(ctx) { // want `range over db.Scan\(\.\.\.\) with one variable drops the error`
		fmt.Println(r)
	}
	for range Pairs() { // want `range over Pairs\(\.\.\.\) with no variables drops the error`
	}
	rows := db.Scan(ctx)
	for r := range rows { // want `range over rows with one variable`
		fmt.Println(r)
	}
}

// DeferredLiteral calls exit in a deferred literal, where it cannot recover
// the body's panic.
func DeferredLiteral(ctx context.Context) (err error) {
	_, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return err
	}
	defer func() { exit(&err) }() // want `exit is called inside a deferred function literal, so a panic in the body never reaches Exit`
	return errors.New("body failed")
}

// Right keeps what the façade hands back.
func Right(ctx context.Context, db *DB) (err error) {
	f := db.Async().Query(ctx, 8)
	if _, err := f.Result(); err != nil {
		return err
	}
	s := db.Async().Scan(ctx)
	defer s.Stop()
	for r, err := range db.Scan(ctx) {
		if err != nil {
			return err
		}
		fmt.Println(r)
	}
	for k := range Names() { // no error in it
		fmt.Println(k)
	}
	_, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return err
	}
	defer exit(&err)
	return nil
}
