package synchronicity

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A thread-locked loop's goroutine cannot hand its thread to other work:
// once it blocks, its OS thread sleeps, and waking it costs a system call
// and a trip through the kernel's scheduler, on both sides of a call. So the
// two sides of a call to such a loop spin briefly before they block: the
// loop for the next job after it has run one, the caller for the result.
// The spin is bounded by spinBudget, so a loop that has gone idle blocks
// again within it, and an idle loop, which ran nothing, does not spin.
const spinBudget = 20 * time.Microsecond

// spinUntil polls cond until it holds or spinBudget has passed, and reports
// whether it holds. With yield it gives the processor to other goroutines
// between polls, which one locked to a thread must not do: its thread would
// sleep until the scheduler hands the goroutine back. The number of polls is
// bounded too, since inside a testing/synctest bubble the clock stands still
// while anything runs.
func spinUntil(cond func() bool, yield bool) bool {
	const maxPolls = 1 << 14
	var start time.Time
	for i := 1; i <= maxPolls; i++ {
		if cond() {
			return true
		}
		if yield {
			runtime.Gosched()
			i += 63 // a yield costs as much as a clock read: look at it each time
		}
		if i%64 == 0 { // the clock costs more than a poll
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > spinBudget {
				break
			}
		}
	}
	return cond()
}

// idleSpin is what a thread-locked loop does when its queue is empty, before
// it blocks: it spins for new work or the loop's end. While it spins,
// submit need not wake it.
func (l *Loop) idleSpin() {
	l.spinning.Store(true)
	spinUntil(func() bool { return l.pending.Load() || l.state.Load()&drainedBit != 0 }, false)
	// Once spinning is false, a submit that did not poke has set pending
	// before, and the queue check that follows sees its job.
	l.spinning.Store(false)
}

// A caller's wait for a serial call: the loop sets the call ready, and
// wakes the caller through its channel only if the caller blocked.
const (
	callRunning uint32 = iota
	callBlocked
	callReady
)

// ready marks the call done, and wakes the caller if it blocked.
func (c *callWait) ready() {
	if c.state.Swap(callReady) == callBlocked {
		c.done <- struct{}{}
	}
}

// wait waits for ready, spinning first if spin is set.
func (c *callWait) wait(spin bool) {
	// With one P, the loop's thread needs the caller's: yield it between
	// polls. With more, keep it, as yielding goes through the scheduler's
	// global lock.
	if spin && spinUntil(func() bool { return c.state.Load() == callReady }, runtime.GOMAXPROCS(0) == 1) {
		return
	}
	if c.state.CompareAndSwap(callRunning, callBlocked) {
		<-c.done
	}
}

// callWait is a reusable one-shot wait of a caller for a serial loop.
type callWait struct {
	state atomic.Uint32
	done  chan struct{} // carries the wake-up of a caller that blocked
}

// reset makes the wait reusable for the next call.
func (c *callWait) reset() { c.state.Store(callRunning) }
