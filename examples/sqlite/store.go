package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=store -name=Store

// User is a row of the users table.
type User struct {
	ID   int64
	Name string
}

// store is a users table in SQLite, over one connection. It is not safe for
// concurrent use: an open transaction belongs to the connection, so a
// statement another goroutine sent meanwhile would run inside it, and be
// rolled back with it.
type store struct {
	conn *sql.Conn
	tx   *sql.Tx // the open transaction, if any
}

// querier is what runs statements: the connection, or the open transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q returns what runs s's statements now.
func (s *store) q() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.conn
}

// Init creates the users table.
func (s *store) Init(ctx context.Context) error {
	_, err := s.q().ExecContext(ctx, `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`)
	return err
}

// Insert adds a user named name and returns its ID. In a transaction the
// row is committed with it.
func (s *store) Insert(ctx context.Context, name string) (int64, error) {
	res, err := s.q().ExecContext(ctx, `INSERT INTO users (name) VALUES (?)`, name)
	if err != nil {
		return 0, fmt.Errorf("insert %q: %w", name, err)
	}
	return res.LastInsertId()
}

// Get returns the user with the given ID.
func (s *store) Get(ctx context.Context, id int64) (User, error) {
	u := User{ID: id}
	err := s.q().QueryRowContext(ctx, `SELECT name FROM users WHERE id = ?`, id).Scan(&u.Name)
	if err != nil {
		return User{}, fmt.Errorf("get %d: %w", id, err)
	}
	return u, nil
}

// Count returns how many users there are.
func (s *store) Count(ctx context.Context) (int, error) {
	var n int
	err := s.q().QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// Scan yields every user in ID order, a page of pageSize per query, so
// that no cursor stays open on the connection between two values.
func (s *store) Scan(ctx context.Context, pageSize int, yield func(User) bool) error {
	if pageSize < 1 {
		return fmt.Errorf("scan: page size %d", pageSize)
	}
	for after := int64(0); ; {
		page, err := s.page(ctx, after, pageSize)
		if err != nil {
			return err
		}
		for _, u := range page {
			if !yield(u) {
				return nil
			}
			after = u.ID
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// page returns up to n users with IDs above after.
func (s *store) page(ctx context.Context, after int64, n int) ([]User, error) {
	rows, err := s.q().QueryContext(ctx, `SELECT id, name FROM users WHERE id > ? ORDER BY id LIMIT ?`, after, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, err
		}
		page = append(page, u)
	}
	return page, rows.Err()
}

// Enter begins a transaction; the store is its handle until Exit.
func (s *store) Enter(ctx context.Context) (*store, error) {
	if s.tx != nil {
		return nil, errors.New("a transaction is already open")
	}
	tx, err := s.conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	s.tx = tx
	return s, nil
}

// Exit commits the transaction Enter began, or rolls it back if the body
// failed with err.
func (s *store) Exit(ctx context.Context, err error) error {
	tx := s.tx
	s.tx = nil
	if err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// Close closes the connection.
func (s *store) Close() error {
	if s.tx != nil {
		return errors.New("close in a transaction")
	}
	return s.conn.Close()
}
