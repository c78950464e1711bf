package synchronicity

import (
	"context"
	"fmt"
)

const (
	closedBit  = 1 << 62
	drainedBit = 1 << 61
	countMask  = drainedBit - 1
)

// mustNotWaitHere panics if the caller is the goroutine of serial loop l,
// about to wait for l's pending work (op names the wait): that work is
// queued behind the caller and would never run.
func (l *Loop) mustNotWaitHere(op string) {
	if l != nil && l.serial && l.onLoop() {
		panic(fmt.Sprintf("synchronicity.%s: called on the goroutine of %v for its own pending work, which is queued behind the caller and would never run; use Call there, which runs inline, or wait from another goroutine", op, l))
	}
}

// acquire counts a new task in, or reports false once the loop is closed.
func (l *Loop) acquire() bool {
	n := l.state.Add(1)
	if n&closedBit != 0 {
		l.release()
		return false
	}
	if l.interrupt && n == 1 {
		l.busyChanged()
	}
	return true
}

// release counts a task out; the last one out after Close opens drained.
func (l *Loop) release() {
	switch l.state.Add(-1) {
	case closedBit:
		l.tryDrain()
	case 0:
		if l.interrupt {
			l.busyChanged()
		}
	}
}

func (l *Loop) tryDrain() {
	if l.state.CompareAndSwap(closedBit, closedBit|drainedBit) {
		close(l.drained)
		if l.serial {
			l.poke() // serve sees drainedBit and returns
		}
	}
}

// refuse closes the loop to new work; work in flight goes on.
func (l *Loop) refuse() {
	if l.state.Or(closedBit)&countMask == 0 {
		l.tryDrain()
	}
}

// mustNotBeOwnWork panics if the caller is work of l, which a wait for l's
// work to end would wait on for ever. It asks before the loop changes, so
// that the mistake leaves the loop as it was.
func (l *Loop) mustNotBeOwnWork(op string) {
	if l.state.Load()&countMask == 0 {
		return // no work in flight, so none of it is calling
	}
	if l.onLoop() {
		panic(fmt.Sprintf("synchronicity.%s: called from the work of %v, which it waits for: it would never return; call it from outside the loop's work (for instance once the call or future that decided to has returned)", op, l))
	}
}

// closedError is the error for work refused by a closed loop.
func (l *Loop) closedError(op string) error {
	if cause := context.Cause(l.ctx); cause != nil && cause != ErrClosed {
		return fmt.Errorf("synchronicity.%s: %w (%w)", op, ErrClosed, cause)
	}
	return fmt.Errorf("synchronicity.%s: %w", op, ErrClosed)
}
