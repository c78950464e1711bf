package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=conn -name=DB

// Row is one row of the fake database's only table.
type Row struct {
	ID   int
	Name string
}

// Stats counts what a connection has done.
type Stats struct {
	Queries int // round trips to the database
	Rows    int // rows committed
}

// conn is a fake database connection with the habits of a real one: it
// keeps state between calls (the connection, an open transaction) and is
// not safe for concurrent use. It notices when it is used from two
// goroutines at once and panics, as a real driver would corrupt its
// protocol state instead.
type conn struct {
	dsn     string
	rows    []Row // committed
	pending []Row // inserted in the open transaction
	inTx    bool
	nextID  int
	queries int
	busy    bool
}

// use marks c busy for one round trip and returns the function that ends
// it. Helpers like this one are functions, not methods, because syncgen
// wraps every method of conn.
func use(c *conn, op string) (done func(), err error) {
	if c.busy {
		panic("dbconn: connection used concurrently (" + op + ")")
	}
	if c.dsn == "" && op != "Connect" {
		return nil, errors.New("dbconn: " + op + " before Connect")
	}
	c.busy = true
	c.queries++
	runtime.Gosched() // a round trip: another goroutine could run now
	return func() { c.busy = false }, nil
}

// Connect opens the connection to dsn.
func (c *conn) Connect(ctx context.Context, dsn string) error {
	done, err := use(c, "Connect")
	if err != nil {
		return err
	}
	defer done()
	c.dsn = dsn
	return ctx.Err()
}

// Insert adds a row named name and returns its ID. In a transaction the
// row is committed with it.
func (c *conn) Insert(ctx context.Context, name string) (int, error) {
	done, err := use(c, "Insert")
	if err != nil {
		return 0, err
	}
	defer done()
	c.nextID++
	r := Row{ID: c.nextID, Name: name}
	if c.inTx {
		c.pending = append(c.pending, r)
	} else {
		c.rows = append(c.rows, r)
	}
	return r.ID, nil
}

// Query returns the committed row with the given ID.
func (c *conn) Query(ctx context.Context, id int) (Row, error) {
	done, err := use(c, "Query")
	if err != nil {
		return Row{}, err
	}
	defer done()
	for _, r := range c.rows {
		if r.ID == id {
			return r, nil
		}
	}
	return Row{}, fmt.Errorf("dbconn: no row %d", id)
}

// Scan yields every committed row in ID order, fetching them a page of
// pageSize rows per round trip, as a cursor does.
func (c *conn) Scan(ctx context.Context, pageSize int, yield func(Row) bool) error {
	if pageSize < 1 {
		return fmt.Errorf("dbconn: page size %d", pageSize)
	}
	for offset := 0; ; offset += pageSize {
		page, err := fetch(c, offset, pageSize)
		if err != nil {
			return err
		}
		for _, r := range page {
			if !yield(r) {
				return nil
			}
		}
		if len(page) < pageSize {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// fetch is one page of a scan: a round trip.
func fetch(c *conn, offset, n int) ([]Row, error) {
	done, err := use(c, "Scan")
	if err != nil {
		return nil, err
	}
	defer done()
	if offset >= len(c.rows) {
		return nil, nil
	}
	return append([]Row(nil), c.rows[offset:min(offset+n, len(c.rows))]...), nil
}

// Enter begins a transaction; the connection is its handle.
func (c *conn) Enter(ctx context.Context) (*conn, error) {
	done, err := use(c, "Begin")
	if err != nil {
		return nil, err
	}
	defer done()
	if c.inTx {
		return nil, errors.New("dbconn: a transaction is already open")
	}
	c.inTx = true
	return c, nil
}

// Exit commits the transaction Enter began, or rolls it back if the body
// failed with err.
func (c *conn) Exit(ctx context.Context, err error) error {
	done, useErr := use(c, "Commit")
	if useErr != nil {
		return errors.Join(err, useErr)
	}
	defer done()
	if err == nil {
		c.rows = append(c.rows, c.pending...)
	}
	c.pending, c.inTx = nil, false
	return err
}

// Stats reports what the connection has done so far.
func (c *conn) Stats() Stats { return Stats{Queries: c.queries, Rows: len(c.rows)} }

// Close closes the connection.
func (c *conn) Close() error {
	if c.inTx {
		return errors.New("dbconn: Close in a transaction")
	}
	c.dsn = ""
	return nil
}
