package synchronicity

import (
	"runtime"
	"runtime/metrics"
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
//
// Nor does it spin while more goroutines want a processor than there are
// (see crowded): then the other side, woken, may be queued behind the
// spinner, and the spin takes the processor from it or from other work.
func spinUntil(cond func() bool) bool {
	if runtime.GOMAXPROCS(0) == 1 || crowded() {
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

// crowd is what crowded last found, and when to look again.
var crowd struct {
	asks    atomic.Uint32 // crowded's calls; it samples every crowdEvery
	crowded atomic.Bool
	blind   atomic.Bool      // the runtime does not count: no more samples
	looking atomic.Bool      // one sampler at a time; it owns samples
	samples []metrics.Sample // of crowdMetrics
}

// crowdEvery is how many of crowded's answers one sample serves: a sample
// takes a microsecond or two and the scheduler's lock.
const crowdEvery = 128

// crowdMetrics are the runtime's counts of goroutines running and ready to
// run, which it keeps from Go 1.26 on.
var crowdMetrics = []string{"/sched/goroutines/running:goroutines", "/sched/goroutines/runnable:goroutines"}

// crowded reports whether, when last sampled, more goroutines wanted a
// processor than there are processors, plus one: the spinner's other side,
// woken and waiting for a processor, may be one of them, and a spin is how
// the two sides come to run side by side (see spinBudget); others waiting
// mean the spin takes a processor from work. Where the runtime does not
// count them it answers false, and a spin is as long as it always was.
func crowded() bool {
	if crowd.blind.Load() {
		return false
	}
	if crowd.asks.Add(1)%crowdEvery == 1 && crowd.looking.CompareAndSwap(false, true) {
		if crowd.samples == nil {
			crowd.samples = make([]metrics.Sample, len(crowdMetrics))
		}
		c, known := sampleCrowd(crowd.samples)
		crowd.crowded.Store(c)
		crowd.blind.Store(!known)
		crowd.looking.Store(false)
	}
	return crowd.crowded.Load()
}

// sampleCrowd reads crowdMetrics into s and reports whether they show a
// crowd, and whether the runtime knows them.
func sampleCrowd(s []metrics.Sample) (crowded, known bool) {
	for i, name := range crowdMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	var n uint64
	for _, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			return false, false
		}
		n += v.Value.Uint64()
	}
	return n > uint64(runtime.GOMAXPROCS(0))+1, true
}
