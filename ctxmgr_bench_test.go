package synchronicity_test

import (
	"context"
	"iter"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
)

// benchCM is the manager every context-manager benchmark enters: Enter
// counts up and Exit counts down, so a missed Exit shows.
type benchCM struct{ n int }

func (c *benchCM) Enter(context.Context) (int, error) {
	c.n++
	return c.n, nil
}

func (c *benchCM) Exit(_ context.Context, err error) error {
	c.n--
	return err
}

// The hand-written baseline: an enter function and a deferred exit function
// that sees a panic, as one writes without the package. They are variables
// so that, as in real use, the compiler cannot inline them.
var (
	benchEnter = func(ctx context.Context, c *benchCM) (int, error) { return c.Enter(ctx) }
	benchExit  = func(ctx context.Context, c *benchCM, errp *error) {
		if r := recover(); r != nil {
			c.Exit(ctx, nil)
			panic(r)
		}
		*errp = c.Exit(ctx, *errp)
	}
)

func useDirect(ctx context.Context, c *benchCM) (err error) {
	v, err := benchEnter(ctx, c)
	if err != nil {
		return err
	}
	defer benchExit(ctx, c, &err)
	sink += v
	return nil
}

func useManager(ctx context.Context, cm sy.ContextManager[int]) (err error) {
	v, exit, err := sy.Enter(ctx, cm)
	if err != nil {
		return err
	}
	defer exit(&err)
	sink += v
	return nil
}

func BenchmarkEnterExit(b *testing.B) {
	ctx := context.Background()
	// run times use, which enters and exits c once.
	run := func(b *testing.B, c *benchCM, use func() error) {
		b.ReportAllocs()
		var err error
		for range b.N {
			err = use()
		}
		if err != nil || c.n != 0 {
			b.Fatalf("err %v, %d uses not exited", err, c.n)
		}
	}
	scoped := func(c *benchCM) sy.ContextManager[int] {
		return sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			v, _ := c.Enter(ctx)
			return c.Exit(ctx, yield(v))
		})
	}
	body := func(v int) error {
		sink += v
		return nil
	}
	b.Run("direct", func(b *testing.B) {
		c := &benchCM{}
		run(b, c, func() error { return useDirect(ctx, c) })
	})
	b.Run("interface", func(b *testing.B) {
		c := &benchCM{}
		run(b, c, func() error { return useManager(ctx, c) })
	})
	b.Run("do", func(b *testing.B) {
		c := &benchCM{}
		run(b, c, func() error { return sy.Do[int](ctx, c, body) })
	})
	b.Run("scoped", func(b *testing.B) {
		c := &benchCM{}
		cm := scoped(c)
		run(b, c, func() error { return useManager(ctx, cm) })
	})
	b.Run("scoped-do", func(b *testing.B) {
		c := &benchCM{}
		cm := scoped(c)
		run(b, c, func() error { return sy.Do(ctx, cm, body) })
	})
	b.Run("serial", func(b *testing.B) {
		l := sy.New(sy.Serial())
		defer l.Close()
		c := &benchCM{}
		cm := sy.OnLoop[int](l, c)
		run(b, c, func() error { return useManager(ctx, cm) })
	})
	// The coroutine baseline for scoped: one iter.Pull, one value, stop.
	b.Run("pull", func(b *testing.B) {
		c := &benchCM{}
		seq := func(yield func(int) bool) {
			v, _ := c.Enter(ctx)
			yield(v)
			c.Exit(ctx, nil)
		}
		run(b, c, func() error {
			next, stop := iter.Pull(seq)
			v, _ := next()
			sink += v
			stop()
			return nil
		})
	})
}
