// Package shapes has a type with a method of every shape syncgen knows,
// and some it refuses.
package shapes

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"
)

//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=store -name=Store -unexported

// store is a key-value store that is not safe for concurrent use.
type store struct {
	name     string
	data     map[string]string
	reads    int
	writes   int
	children []*store
	parent   *store
	inTx     bool
	log      []string
	closed   bool
}

func newStore(name string) *store { return &store{name: name, data: map[string]string{}} }

// ErrMissing is returned for a key that is not there.
var ErrMissing = errors.New("missing")

// Get returns the value of key.
func (s *store) Get(ctx context.Context, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.reads++
	v, ok := s.data[key]
	if !ok {
		return "", ErrMissing
	}
	return v, nil
}

// Put sets key to val.
func (s *store) Put(ctx context.Context, key, val string) error {
	s.writes++
	s.data[key] = val
	return nil
}

// PutAll sets keys and values given in turn.
func (s *store) PutAll(ctx context.Context, kv ...string) error {
	if len(kv)%2 != 0 {
		return errors.New("odd number of arguments")
	}
	for i := 0; i < len(kv); i += 2 {
		s.writes++
		s.data[kv[i]] = kv[i+1]
	}
	return nil
}

// Touch counts a write without writing.
func (s *store) Touch(ctx context.Context) { s.writes++ }

// Has reports whether key is there.
func (s *store) Has(ctx context.Context, key string) bool {
	_, ok := s.data[key]
	return ok
}

// Stats returns the counts of reads and writes.
func (s *store) Stats(ctx context.Context) (reads, writes int, err error) {
	return s.reads, s.writes, nil
}

// Pair returns the store's name and size.
func (s *store) Pair(ctx context.Context) (string, int) { return s.name, len(s.data) }

// Rename has parameters whose names the generated code must not reuse.
func (s *store) Rename(ctx context.Context, f string, context int, Store bool, _ bool) error {
	s.name = f + strings.Repeat("!", context)
	if Store {
		s.name += "?"
	}
	return nil
}

// Wait waits for d or until ctx ends.
func (s *store) Wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Keys yields the keys that start with prefix, in order.
func (s *store) Keys(ctx context.Context, prefix string, yield func(string) bool) error {
	var keys []string
	for k := range s.data {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !yield(k) {
			return nil
		}
	}
	return nil
}

// Children yields the stores made by Child.
func (s *store) Children(ctx context.Context, yield func(*store) bool) error {
	for _, c := range s.children {
		if !yield(c) {
			return nil
		}
	}
	return nil
}

// Child makes a store under this one.
func (s *store) Child(ctx context.Context, name string) (*store, error) {
	c := newStore(name)
	c.parent = s
	s.children = append(s.children, c)
	return c, nil
}

// Parent returns the store this one was made under, or nil.
func (s *store) Parent() *store { return s.parent }

// Adopt copies other's data into this store.
func (s *store) Adopt(ctx context.Context, other *store) (int, error) {
	if other == nil {
		return 0, errors.New("nil store")
	}
	for k, v := range other.data {
		s.data[k] = v
	}
	return len(other.data), nil
}

// Len returns the number of keys.
func (s *store) Len() int { return len(s.data) }

// Name returns the store's name.
func (s store) Name() string { return s.name }

// Reset forgets every key.
func (s *store) Reset() { s.data = map[string]string{} }

// Dims returns the number of keys and of children.
func (s *store) Dims() (int, int) { return len(s.data), len(s.children) }

// Close fails if the store is in a transaction.
func (s *store) Close() error {
	if s.inTx {
		return errors.New("close in a transaction")
	}
	s.closed = true
	return nil
}

// Enter begins a transaction.
func (s *store) Enter(ctx context.Context) (*store, error) {
	if s.inTx {
		return nil, errors.New("already in a transaction")
	}
	s.inTx = true
	s.log = append(s.log, "begin")
	return s, nil
}

// Exit commits the transaction, or rolls it back if err is not nil.
func (s *store) Exit(ctx context.Context, err error) error {
	s.inTx = false
	if err != nil {
		s.log = append(s.log, "rollback")
		return err
	}
	s.log = append(s.log, "commit")
	return nil
}

// Log returns what transactions did.
func (s *store) Log() []string { return append([]string(nil), s.log...) }

// panicky panics with v.
func (s *store) panicky(ctx context.Context, v string) error { panic(v) }

// The methods below fit no shape.

// Late takes its context in the wrong place.
func (s *store) Late(n int, ctx context.Context) error { return nil }

// Walk ends in a yield but returns nothing.
func (s *store) Walk(ctx context.Context, yield func(int) bool) {}

// All hands out the children unwrapped.
func (s *store) All() []*store { return s.children }

// Async would clash with the façade's own Async.
func (s *store) Async() {}

// use would clash with a field of a context manager's façade.
func (s *store) use() {}
