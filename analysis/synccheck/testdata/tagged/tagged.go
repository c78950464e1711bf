//go:build special

// Package tagged holds a misuse that only a build with -tags=special sees.
package tagged

import (
	"context"

	sy "github.com/synchronicity-go/synchronicity"
)

// Dropped starts work and drops it.
func Dropped(ctx context.Context) {
	sy.Go(ctx, nil, func(context.Context) (int, error) { return 1, nil })
}
