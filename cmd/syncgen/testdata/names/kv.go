// Package names is a store whose methods name their parameters as the
// generated code would name its own locals, for syncgen's tests: the
// façade keeps the impl's names, and its receiver's.
package names

import (
	"context"
	"errors"
)

//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=kv -name=KV

// kv maps keys to values. It is not safe for concurrent use.
type kv struct {
	m map[string]string
}

// Put stores v under f in db, unless err says not to; a is returned.
func (db *kv) Put(c context.Context, f, v string, err error, a int) (int, error) {
	if err != nil {
		return 0, err
	}
	if db.m == nil {
		db.m = map[string]string{}
	}
	db.m[f] = v
	return a, c.Err()
}

// Pair returns r and u swapped, and whether db holds r.
func (db *kv) Pair(r, u string) (string, string, bool) {
	_, ok := db.m[r]
	return u, r, ok
}

// Each yields the values db holds under keys, in order.
func (db *kv) Each(ctx context.Context, keys []string, yield func(string) bool) error {
	for _, k := range keys {
		v, ok := db.m[k]
		if !ok {
			return errors.New("no key " + k)
		}
		if !yield(v) {
			return nil
		}
	}
	return nil
}
