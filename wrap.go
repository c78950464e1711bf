package synchronicity

import "context"

// Func is one function exported both ways: [Func.Call] blocks, [Func.Go]
// returns a future. Make one with [Wrap].
type Func[A, R any] struct {
	loop *Loop
	fn   func(context.Context, A) (R, error)
}

// Wrap exports fn both ways on loop l (nil means [Default], looked up at each
// call). It panics if fn is nil.
func Wrap[A, R any](l *Loop, fn func(context.Context, A) (R, error)) *Func[A, R] {
	if fn == nil {
		panic("synchronicity.Wrap: nil function")
	}
	return &Func[A, R]{loop: l, fn: fn}
}

// Call calls the wrapped function with a and waits for its result, as [Call]
// does.
func (f *Func[A, R]) Call(ctx context.Context, a A) (R, error) {
	return Call(ctx, f.loop, f.bind(a))
}

// Go starts the wrapped function with a and returns its future, as [Go]
// does.
func (f *Func[A, R]) Go(ctx context.Context, a A) *Future[R] {
	return Go(ctx, f.loop, f.bind(a))
}

func (f *Func[A, R]) bind(a A) func(context.Context) (R, error) {
	return func(ctx context.Context) (R, error) { return f.fn(ctx, a) }
}
