// Package clean uses the package correctly throughout: nothing to report.
package clean

import (
	"context"

	sy "github.com/synchronicity-go/synchronicity"
)

var tx = sy.Scoped(func(ctx context.Context, yield func(int) error) error { return yield(1) })

func count(ctx context.Context, yield func(int) bool) error {
	yield(1)
	return nil
}

// Run enters, ranges and fans out as the docs show.
func Run(ctx context.Context) (err error) {
	v, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return err
	}
	defer exit(&err)
	for n, err := range sy.Seq(ctx, nil, count) {
		if err != nil {
			return err
		}
		v += n
	}
	f := sy.Go(ctx, nil, func(context.Context) (int, error) { return v, nil })
	_, err = sy.All(ctx, f)
	return err
}
