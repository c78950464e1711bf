package synchronicity

import (
	"context"
	"errors"
	"io"
)

// Closing returns a manager whose Enter calls open and whose Exit closes
// what open returned, joining Close's error to the error so far. Each use
// opens its own value. Closing panics if open is nil.
func Closing[T io.Closer](open func(ctx context.Context) (T, error)) ContextManager[T] {
	if open == nil {
		panic("synchronicity.Closing: nil function")
	}
	return &closing[T]{openFn: open}
}

type closing[T io.Closer] struct {
	openFn func(context.Context) (T, error)
	once
}

// Enter opens a value.
func (c *closing[T]) Enter(ctx context.Context) (T, error) {
	return enterOnce(&c.once, "Closing", ctx, c.open)
}

// Exit closes the value Enter opened.
func (c *closing[T]) Exit(ctx context.Context, err error) error {
	return c.once.exit("Closing", ctx, err)
}

func (c *closing[T]) open(ctx context.Context) (T, exiter, error) {
	v, err := c.openFn(ctx)
	if err != nil {
		return v, nil, err
	}
	return v, closer{v}, nil
}

type closer struct{ c io.Closer }

func (c closer) Exit(_ context.Context, err error) error { return errors.Join(err, c.c.Close()) }
