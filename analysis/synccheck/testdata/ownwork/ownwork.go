// Package ownwork closes loops from the work handed to them, and from
// elsewhere.
package ownwork

import (
	"context"
	"slices"
	"time"

	sy "github.com/synchronicity-go/synchronicity"
)

type service struct{ loop *sy.Loop }

// Own closes loops from their own work.
func Own(ctx context.Context, l *sy.Loop, s *service) {
	sy.Call(ctx, l, func(ctx context.Context) (int, error) {
		return 0, l.Close() // want `l.Close called from work running on l waits for that work, and so for itself, and never returns: close the loop once the work has returned`
	})
	f := sy.Go(ctx, l, func(ctx context.Context) (int, error) {
		return 0, l.Shutdown(ctx) // want `l.Shutdown called from work running on l`
	})
	f.Result()
	sy.Call(ctx, s.loop, func(ctx context.Context) (int, error) {
		if ctx.Err() != nil {
			func() { s.loop.Close() }() // want `s.loop.Close called from work running on s.loop`
		}
		return 0, nil
	})
	for v, err := range sy.Seq(ctx, l, func(ctx context.Context, yield func(int) bool) error {
		l.Close() // want `l.Close called from work running on l`
		return nil
	}) {
		_, _ = v, err
	}
	for v, err := range sy.Map(ctx, l, slices.Values([]int{1}), func(ctx context.Context, i int) (int, error) {
		return i, l.Close() // want `l.Close called from work running on l`
	}) {
		_, _ = v, err
		l.Close() // want `l.Close called from work running on l`
	}
	s.Start(ctx, l)
	_ = sy.Wrap(l, func(ctx context.Context, n int) (int, error) { return n, l.Close() }) // want `l.Close called from work running on l`
	cm := sy.OnLoop(l, sy.Scoped(func(ctx context.Context, yield func(int) error) error {
		defer l.Close() // want `l.Close called from work running on l`
		return yield(1)
	}))
	_ = sy.Do(ctx, sy.OnLoop(l, cm), func(int) error {
		return l.Close() // want `l.Close called from work running on l`
	})
}

// Closures that the work calls run on its loop too.
func Closures(ctx context.Context, l *sy.Loop) {
	sy.Call(ctx, l, func(ctx context.Context) (int, error) {
		stop := func() {
			l.Close() // want `l.Close called from work running on l`
		}
		var shutdown = func() error {
			return (l).Shutdown(ctx) // want `l.Shutdown called from work running on l`
		}
		defer stop()
		defer func() {
			shutdown()
		}()
		return 0, nil
	})
}

func (s *service) Start(ctx context.Context, l *sy.Loop) {
	st := sy.Start(ctx, l, func(ctx context.Context, yield func(int) bool) error {
		return l.Close() // want `l.Close called from work running on l`
	})
	st.Stop()
}

// Elsewhere closes loops where that is fine: after the work, from another
// goroutine, another loop, or a loop made inside the work.
func Elsewhere(ctx context.Context, l, other *sy.Loop) error {
	if _, err := sy.Call(ctx, l, func(ctx context.Context) (int, error) {
		go func() { l.Close() }()
		batch := sy.New()
		defer batch.Close()
		return 0, other.Close()
	}); err != nil {
		return err
	}
	for v, err := range sy.Seq(ctx, other, func(ctx context.Context, yield func(int) bool) error { return nil }) {
		_, _ = v, err
		l.Close()
	}
	return l.Close()
}

type closer struct {
	loop *sy.Loop
	stop func()
}

// Later closes the loop from code that the work hands on or stores, which
// runs elsewhere or once the work has returned, and closes loops that the
// work put in place of the one it runs on.
func Later(ctx context.Context, l, other *sy.Loop, c *closer) {
	sy.Call(ctx, l, func(ctx context.Context) (int, error) {
		time.AfterFunc(time.Second, func() { l.Close() })
		context.AfterFunc(ctx, func() { l.Close() })
		c.stop = func() { l.Close() }
		stop := func() { l.Close() }
		go stop()
		f := sy.Go(ctx, other, func(ctx context.Context) (int, error) { return 0, l.Close() })
		f.Cancel()
		return 0, nil
	})
	sy.Call(ctx, c.loop, func(ctx context.Context) (int, error) {
		c.loop = sy.New()
		return 0, c.loop.Close()
	})
	sy.Call(ctx, c.loop, func(ctx context.Context) (int, error) {
		*c = closer{}
		c = &closer{loop: sy.New()}
		return 0, c.loop.Close()
	})
}
