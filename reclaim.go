//go:build go1.24

package synchronicity

import "runtime"

// whenCollected calls c.collected once h is unreachable. c must not refer
// to h.
func whenCollected[T any](h *T, c collector) {
	runtime.AddCleanup(h, collector.collected, c)
}
