// Package plain has an exported type with no method that needs its
// results translated and no context manager.
package plain

import (
	"bytes"
	"context"
	"io"
)

// Counter counts, and is not safe for concurrent use.
type Counter struct {
	n   int
	buf bytes.Buffer
}

// Add adds d and returns the new count.
func (c *Counter) Add(ctx context.Context, d int) (int, error) {
	c.n += d
	return c.n, nil
}

// WriteTo writes what was written to w.
func (c *Counter) WriteTo(w io.Writer) (int64, error) { return c.buf.WriteTo(w) }

// Write appends p.
func (c *Counter) Write(p []byte) (int, error) { return c.buf.Write(p) }

// Merge adds other's count to c.
func (c *Counter) Merge(ctx context.Context, other *Counter) error {
	c.n += other.n
	return nil
}

func (c *Counter) count() int { return c.n }
