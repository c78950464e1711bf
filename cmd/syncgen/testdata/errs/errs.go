// Package errs has types syncgen refuses.
package errs

import "context"

type generic[T any] struct{ v T }

func (g *generic[T]) Get(ctx context.Context) (T, error) { return g.v, nil }

type empty struct{}

type iface interface {
	Get(ctx context.Context) error
}

type alias = empty

var notAType = 1

// misfit has only methods that fit no shape.
type misfit struct{}

func (m *misfit) Late(n int, ctx context.Context) error { return nil }

// Wrapped is a name the façade of wrapped would take.
type Wrapped struct{}

type wrapped struct{}

func (w *wrapped) Len() int { return 0 }

// NewClash is a name the façade Clash would take.
func NewClash() {}
