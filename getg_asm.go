//go:build amd64 || arm64

package synchronicity

import "unsafe"

// getg returns the running goroutine's runtime record (getg_$GOARCH.s);
// see goid in internals.go.
func getg() unsafe.Pointer
