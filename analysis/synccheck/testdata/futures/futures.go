// Package futures starts futures and streams, and keeps or drops them.
package futures

import (
	"context"
	"fmt"

	sy "github.com/synchronicity-go/synchronicity"
)

func fetch(ctx context.Context, id int) (string, error) { return fmt.Sprint(id), nil }

func one(ctx context.Context) (string, error) { return fetch(ctx, 1) }

func count(ctx context.Context, yield func(int) bool) error {
	yield(1)
	return nil
}

var wrapped = sy.Wrap(nil, fetch)

// Dropped starts work and drops it.
func Dropped(ctx context.Context, l *sy.Loop) {
	sy.Go(ctx, l, one)           // want `the future returned by Go is dropped, so its result, error and any panic are never observed: keep it and wait for it \(Result, Wait, All\), or call synchronicity.Call to block`
	sy.Go[string](ctx, l, one)   // want `the future returned by Go is dropped`
	(sy.Go(ctx, l, one))         // want `the future returned by Go is dropped`
	wrapped.Go(ctx, 2)           // want `the future returned by Func.Go is dropped`
	sy.Start(ctx, l, count)      // want `the stream returned by Start is dropped, so its values and error are never read: keep it and range over its C\(\) or Seq\(\), or Stop it`
	sy.Wrap(l, fetch).Go(ctx, 3) // want `the future returned by Func.Go is dropped`
}

// Kept waits for what it starts, or hands it on.
func Kept(ctx context.Context, l *sy.Loop) ([]string, error) {
	a := sy.Go(ctx, l, one)
	b := wrapped.Go(ctx, 2)
	if _, err := sy.Go(ctx, l, one).Result(); err != nil {
		return nil, err
	}
	sy.Go(ctx, l, one).Cancel() // a method on it: the future is used
	_ = sy.Go(ctx, l, one)      // dropped on purpose: Close reports a panic
	s := sy.Start(ctx, l, count)
	defer s.Stop()
	keep(sy.Go(ctx, l, one))
	sy.Call(ctx, l, one) // blocking: nothing left running
	return sy.All(ctx, a, b, sy.Go(ctx, l, one))
}

func keep(*sy.Future[string]) {}

// Started returns its future: the caller waits for it.
func Started(ctx context.Context) *sy.Future[string] {
	return sy.Go(ctx, nil, one)
}
