package synchronicity

import (
	"runtime"
	"sync/atomic"
	"time"
)

// waiter is one side's "I am parked" flag; paired with a channel of
// capacity one, it lets the other side wake it without losing a wake-up.
type waiter struct{ parked atomic.Bool }

// park blocks until woken, unless ready already holds once the flag is up.
func (w *waiter) park(ch chan struct{}, ready func() bool) {
	w.parked.Store(true)
	if ready() && w.parked.CompareAndSwap(true, false) {
		return
	}
	<-ch
}

// wake wakes the parked side, if any.
func (w *waiter) wake(ch chan struct{}) {
	if w.parked.Load() && w.parked.CompareAndSwap(true, false) {
		ch <- struct{}{}
	}
}

// spin looks at ready for a while before its caller parks: with more than
// one core the other side is often about to deliver, and parking and waking
// cost far more than a few looks. Mostly it looks in a tight loop; now and
// then it lets other goroutines of this core run. It reports whether ready.
func spin(ready func() bool) bool {
	if runtime.GOMAXPROCS(0) == 1 {
		return ready()
	}
	for i := range 128 {
		if ready() {
			return true
		}
		if i%32 == 31 {
			runtime.Gosched()
		}
	}
	return ready()
}

// A thread-locked loop's goroutine cannot hand its thread to other work:
// once it blocks, its OS thread sleeps, and waking it costs a system call
// and a trip through the kernel's scheduler, on both sides of a call. So the
// two sides of a call to such a loop spin briefly before they block: the
// loop for the next job after it has run one, the caller for the result.
// The spin is bounded by spinBudget, so a loop that has gone idle blocks
// again within it, and an idle loop, which ran nothing, does not spin.
const spinBudget = 20 * time.Microsecond

// A reply is a caller's wait for a job it queued on a serial loop, reusable
// once reset: the loop's goroutine marks it ready, and wakes the caller
// through its channel only if the caller blocked. On a LockOSThread loop
// the caller spins first (see spinUntil).
type reply struct {
	state atomic.Uint32
	done  chan struct{} // capacity one: carries the wake-up of a caller that blocked
}

const (
	replyPending uint32 = iota
	replyBlocked
	replyReady
)

// ready marks the job done, and wakes the caller if it blocked.
func (r *reply) ready() {
	if r.state.Swap(replyReady) == replyBlocked {
		r.done <- struct{}{}
	}
}

// wait waits for ready.
func (r *reply) wait(l *Loop) {
	if l.lockOS && spinUntil(func() bool { return r.state.Load() == replyReady }) {
		return
	}
	if r.state.CompareAndSwap(replyPending, replyBlocked) {
		<-r.done
	}
}

// reset makes the reply reusable for the next job.
func (r *reply) reset() { r.state.Store(replyPending) }

// spinUntil polls cond until it holds or spinBudget has passed, and reports
// whether it holds. The spinner keeps its processor: a goroutine locked to
// a thread must not yield it, or its thread would sleep until the
// scheduler hands the goroutine back. So with one processor (GOMAXPROCS=1)
// it does not spin at all: it would hold the only processor the other side
// needs to make cond true, and every call would pay the whole budget. The
// number of polls is bounded too, since inside a testing/synctest bubble
// the clock stands still while anything runs.
func spinUntil(cond func() bool) bool {
	if runtime.GOMAXPROCS(0) == 1 {
		return cond()
	}
	const maxPolls = 1 << 14
	var start time.Time
	for i := 1; i <= maxPolls; i++ {
		if cond() {
			return true
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
