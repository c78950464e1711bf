package synchronicity

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// PanicError is a panic caught in a task, producer or context manager, carried
// to the goroutine that observes the outcome. It keeps the panic value and the
// stack of the goroutine that panicked, which is otherwise lost once the
// panic crosses goroutines.
//
// An observer on another goroutine re-panics with the *PanicError itself
// (so a crash shows both stacks); a recover that wants the original value
// reads Value, and [errors.As] reaches a panic value that is an error
// through Unwrap. A panic that crosses no goroutine — a body's, passing
// through a context manager's Exit — goes on with its original value; Exit
// alone sees it as a *PanicError.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the stack trace of the goroutine that panicked, taken where
	// the panic was recovered.
	Stack []byte
}

// Error reports the panic value followed by the stack of the goroutine that
// panicked.
func (p *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\ngoroutine that panicked:\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error, and nil otherwise.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// newPanicError wraps a recovered value. A *PanicError passing through a second
// task keeps its first stack: that is where the panic happened.
func newPanicError(v any) *PanicError {
	if p, ok := v.(*PanicError); ok {
		return p
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// joinPanics returns the one panic of ps, or for several a *PanicError
// whose Value joins them all (errors.As reaches each) and whose Stack is the
// first's; nil for none.
func joinPanics(ps []*PanicError) *PanicError {
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return ps[0]
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return &PanicError{Value: errors.Join(errs...), Stack: ps[0].Stack}
}
