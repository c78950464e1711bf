package synchronicity_test

import (
	"context"
	"iter"

	sy "github.com/synchronicity-go/synchronicity"
)

// collect ranges over seq and returns its values, stopping at the first
// error, which it returns with the values before it.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// race returns the outcome of the first of fs to settle.
func race[T any](ctx context.Context, fs ...*sy.Future[T]) (T, error) {
	for _, f := range sy.AsCompleted(ctx, fs...) {
		return f.Result()
	}
	var zero T
	return zero, ctx.Err()
}

// unwind unwinds s with err, not deferred, and returns the final error.
func unwind(ctx context.Context, s *sy.ExitStack, err error) error {
	s.Unwind(ctx, &err)
	return err
}
