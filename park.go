package synchronicity

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// waiter is one side's "I am parked" flag; paired with a channel of
// capacity one, it lets the other side wake it without losing a wake-up.
// Its asleep flag is up while the side neither runs nor wants to: raised
// before the parked flag, so that a waker, which lowers it, always comes
// after.
type waiter struct{ parked, asleep atomic.Bool }

// park blocks until woken, unless ready already holds once the flag is up.
func (w *waiter) park(ch chan struct{}, ready func() bool) {
	w.asleep.Store(true)
	w.parked.Store(true)
	if ready() && w.parked.CompareAndSwap(true, false) {
		w.asleep.Store(false)
		return
	}
	<-ch
}

// wake wakes the parked side, if any.
func (w *waiter) wake(ch chan struct{}) {
	if w.parked.Load() && w.parked.CompareAndSwap(true, false) {
		w.asleep.Store(false) // it wants a processor again
		ch <- struct{}{}
	}
}

// spin looks at ready for a while before its caller parks: with more than
// one core the other side is often about to deliver, and parking and waking
// cost far more than a few looks. Mostly it looks in a tight loop; now and
// then it lets other goroutines of this core run. It reports whether ready.
func spin(ready func() bool) bool {
	if procs() == 1 {
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

// wait waits for ready. A caller of a LockOSThread loop counts among its
// callers meanwhile (see crowded).
func (r *reply) wait(l *Loop) {
	if l.lockOS {
		l.callers.Add(1)
		defer l.callers.Add(-1)
		if spinUntil(func() bool { return r.state.Load() == replyReady }) {
			return
		}
	}
	if r.state.CompareAndSwap(replyPending, replyBlocked) {
		<-r.done
	}
}

// reset makes the reply reusable for the next job.
func (r *reply) reset() { r.state.Store(replyPending) }

// procs returns GOMAXPROCS as last read. Reading it takes the scheduler's
// lock, and every wait that may spin asks, twice for each call to a locked
// loop; so it is read afresh once in procsEvery asks, and a change is seen
// within that many.
func procs() int {
	if procsRead.asks.due(procsEvery) {
		procsRead.n.Store(int32(runtime.GOMAXPROCS(0)))
	}
	return int(procsRead.n.Load())
}

// procsEvery is how many of procs's answers one read of GOMAXPROCS serves.
const procsEvery = 64

var procsRead struct {
	asks oneIn
	n    atomic.Int32
}

func init() { procsRead.n.Store(int32(runtime.GOMAXPROCS(0))) }

// oneIn counts asks, and answers yes to the first and then one in n: a
// costly reading is taken afresh at that rate and reused in between.
type oneIn struct{ asks atomic.Uint32 }

func (o *oneIn) due(n uint32) bool { return o.asks.Add(1)%n == 1 }

// spinUntil polls cond until it holds or spinBudget has passed, and reports
// whether it holds. The spinner keeps its processor: a goroutine locked to
// a thread must not yield it, or its thread would sleep until the
// scheduler hands the goroutine back. So with one processor (GOMAXPROCS=1)
// it does not spin at all: it would hold the only processor the other side
// needs to make cond true, and every call would pay the whole budget. The
// number of polls is bounded too, since inside a testing/synctest bubble
// the clock stands still while anything runs.
//
// Nor does it spin while goroutines other than the locked loops' own and
// their callers' could fill every processor (see crowded): then the other
// side, woken, may wait behind the spinner, which keeps it from running.
func spinUntil(cond func() bool) bool {
	if procs() == 1 || crowded() {
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

// lockedLoops are the LockOSThread loops whose goroutines run.
var lockedLoops struct {
	sync.Mutex
	all map[*Loop]struct{}
}

// countLocked adds l to lockedLoops, or takes it out.
func countLocked(l *Loop, in bool) {
	lockedLoops.Lock()
	defer lockedLoops.Unlock()
	if !in {
		delete(lockedLoops.all, l)
		return
	}
	if lockedLoops.all == nil {
		lockedLoops.all = make(map[*Loop]struct{})
	}
	lockedLoops.all[l] = struct{}{}
}

// crowd is what crowded last found, and when to look again.
var crowd struct {
	asks    oneIn // crowded's calls; it samples one in crowdEvery
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

// crowded reports whether, when last sampled, goroutines other than the
// locked loops' own and their callers' wanted as many processors as there
// are: then a spin takes a processor that the other side, or that work,
// needs. A loop's callers are left out because their spins are what keep
// a busy loop's hand-offs fast. Where the runtime does not count
// goroutines (before Go 1.26) it answers false: spins as long as ever.
func crowded() bool {
	if crowd.blind.Load() {
		return false
	}
	if crowd.asks.due(crowdEvery) && crowd.looking.CompareAndSwap(false, true) {
		if crowd.samples == nil {
			crowd.samples = make([]metrics.Sample, len(crowdMetrics))
		}
		n, known := wanting(crowd.samples)
		crowd.crowded.Store(known && n-lockedWanting() >= int64(runtime.GOMAXPROCS(0)))
		crowd.blind.Store(!known)
		crowd.looking.Store(false)
	}
	return crowd.crowded.Load()
}

// wanting reads crowdMetrics into s and returns how many goroutines are
// running or ready to run, and whether the runtime counts them.
func wanting(s []metrics.Sample) (n int64, known bool) {
	for i, name := range crowdMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	for _, v := range s {
		if v.Value.Kind() != metrics.KindUint64 {
			return 0, false
		}
		n += int64(v.Value.Uint64())
	}
	return n, true
}

// lockedWanting returns how many of the goroutines that want a processor
// may be the locked loops' own and their callers': a loop's goroutine
// unless it sleeps, and its callers waiting for it.
func lockedWanting() int64 {
	lockedLoops.Lock()
	defer lockedLoops.Unlock()
	var n int64
	for l := range lockedLoops.all {
		n += int64(l.callers.Load())
		if !l.idle.asleep.Load() {
			n++
		}
	}
	return n
}
