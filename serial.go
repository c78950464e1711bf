package synchronicity

import (
	"context"
	"runtime"
	"slices"
	"sync/atomic"
)

// serve is a serial loop's goroutine: it runs queued jobs in order until the
// loop has closed and drained.
func (l *Loop) serve() {
	defer l.bg.Done()
	if l.lockOS {
		// Never unlocked: the thread ends with this goroutine, so no other
		// goroutine inherits state a thread-affine library left on it.
		runtime.LockOSThread()
		countLocked(l, true)
		defer countLocked(l, false)
	}
	l.wearLabels()
	l.runQueue(goid())
}

// runQueue runs the queued jobs of the serial loop goroutine id until the loop
// has closed and drained. Jobs recover their own panics, so a job that does
// not return has called runtime.Goexit.
func (l *Loop) runQueue(id uint64) {
	var cur job // the job running, if it ends this goroutine
	defer func() {
		if cur == nil {
			return
		}
		// cur called runtime.Goexit: finish it, and carry on.
		l.owner.Store(0)
		if l.slow > 0 {
			l.hold(nil) // no longer held: ReportSlow's watch must not report it
		}
		cur.finish()
		if l.lockOS {
			// Here, inside the Goexit, which waits for this deferred call:
			// the loop keeps its thread, with the thread-local state of what
			// runs there and the coroutines made on it, which can be resumed
			// only from the thread they were made on.
			l.runQueue(id)
			return
		}
		l.bg.Add(1)
		go l.serve()
	}()
	// The loop's goroutine is its owner all along when ids are cheap to
	// read; when they come from the stack header, only while a job runs,
	// so that a call to an idle loop does not read one (see onLoop).
	always := goidOffset != 0
	if always {
		l.owner.Store(id)
	}
	for {
		for l.next < len(l.batch) {
			cur = l.batch[l.next]
			l.batch[l.next] = nil
			l.next++
			if cur != noJob { // counted when it ran ahead
				l.ran.Add(1)
			}
			if !always {
				l.owner.Store(id)
			}
			if l.slow > 0 {
				l.hold(cur)
			}
			cur.run()
			if l.slow > 0 {
				l.hold(nil)
			}
			if !always {
				l.owner.Store(0)
			}
			cur.finish()
		}
		ran := cur != nil
		cur = nil
		if l.take() {
			continue
		}
		if l.state.Load()&drainedBit != 0 {
			return
		}
		if ran && l.lockOS {
			l.idleSpin()
			continue
		}
		l.idle.park(l.wake, func() bool { return l.hasQueued() || l.state.Load()&drainedBit != 0 })
	}
}

// take makes the queued jobs the batch to run, and reports whether there
// are any.
func (l *Loop) take() bool {
	l.batch, l.next = l.batch[:0], 0
	l.drain()
	return len(l.batch) > 0
}

// drain moves the queued jobs to the end of the batch, in the order they
// were queued.
func (l *Loop) drain() {
	if l.queue.head.Load() == nil {
		return
	}
	from := len(l.batch)
	for q := l.queue.head.Swap(nil); q != nil; {
		next := q.next
		l.batch = append(l.batch, q.job)
		q.next, q.job = nil, nil // no longer queued: it may be queued again
		q = next
	}
	slices.Reverse(l.batch[from:])
}

// hasQueued reports whether jobs are queued.
func (l *Loop) hasQueued() bool { return l.queue.head.Load() != nil }

// queuedJobs returns how many jobs are queued and have not started.
func (l *Loop) queuedJobs() int64 {
	ran := l.ran.Load() // first: ran never passes queued
	return l.queue.count.Load() - ran
}

// jobQueue is a serial loop's queue: a stack that callers push jobs onto
// without a lock, and that the loop's goroutine takes whole and reverses.
// A push is two atomic writes to one cache line (the count, then the
// compare-and-swap), with no lock held between them, and the loop takes
// many jobs with one swap.
type jobQueue struct {
	head  atomic.Pointer[jobLink]
	count atomic.Int64 // jobs ever queued; see queuedJobs
}

// jobLink is a job's place in the queue. A job is queued at most once at a
// time, so it carries its own, and queueing it allocates nothing.
type jobLink struct {
	next *jobLink
	job  job
}

// A job is a piece of a serial loop's work: run runs on the loop goroutine,
// and finish after it, once the loop no longer counts as busy with it.
type job interface {
	run()
	finish()
	link() *jobLink
}

// A taskJob is a job of one piece of work, which a wait for that work on
// the loop's own goroutine may run ahead of its turn; of names the work.
type taskJob interface {
	job
	of() any
}

// noJob takes the place in the batch of a job that ran ahead of its turn.
var noJob job = &funcJob{fn: func() {}}

// runPending runs the queued job of the work named key here and now, on
// the loop's goroutine, and reports whether it found one: a wait there for
// that work (a future's Result, a stream's Stop) makes progress instead of
// waiting for work queued behind the waiter. Only that job runs; the rest
// of the queue keeps its order and its turn.
func (l *Loop) runPending(key any) bool {
	take := func(js []job) job {
		for i, j := range js {
			if tj, ok := j.(taskJob); ok && tj.of() == key {
				js[i] = noJob
				return j
			}
		}
		return nil
	}
	j := take(l.batch[l.next:])
	if j == nil {
		from := len(l.batch)
		l.drain() // behind the batch: the rest keep their turn
		j = take(l.batch[from:])
	}
	if j == nil {
		return false
	}
	l.ran.Add(1)
	j.run()
	j.finish()
	return true
}

// funcJob is a job that calls a function, with nothing to do at its finish.
type funcJob struct {
	q  jobLink
	fn func()
}

func (j *funcJob) run()           { j.fn() }
func (*funcJob) finish()          {}
func (j *funcJob) link() *jobLink { return &j.q }

// enqueue hands fn to a serial loop's goroutine; see submit.
func (l *Loop) enqueue(fn func()) { l.submit(&funcJob{fn: fn}) }

// submit hands a job to a serial loop's goroutine. The queue is unbounded,
// so a job may submit more work without deadlocking.
func (l *Loop) submit(j job) {
	l.queue.count.Add(1) // before the job can run: ran never passes it
	q := j.link()
	q.job = j
	for {
		q.next = l.queue.head.Load()
		if l.queue.head.CompareAndSwap(q.next, q) {
			break
		}
	}
	l.poke()
}

// poke wakes a serial loop's goroutine if it is parked: a busy loop, or
// one spinning for work, costs its callers a look at one flag.
func (l *Loop) poke() { l.idle.wake(l.wake) }

// onLoop reports whether the caller is the goroutine running the serial
// loop's current job.
func (l *Loop) onLoop() bool {
	o := l.owner.Load()
	return o != 0 && o == goid()
}

// A standIn is a goroutine to which the goroutine of a LockOSThread loop has
// lent its identity (owner) while it waits for it: a [Scoped] function's,
// see scopedRun.resume. It counts as the loop's goroutine, so that its
// blocking calls to the loop do not queue behind the job waiting for it, but
// it runs on a thread of its own: what it would run inline on the loop (a
// Call's function, an OnLoop manager's Exit) it hands to the waiting
// goroutine instead, which runs it on the loop's thread.
type standIn struct {
	host uint64      // the waiting goroutine
	jobs chan func() // from the stand-in
	done chan bool   // to it: the job returned, or called runtime.Goexit
}

// lentTo returns the stand-in of a LockOSThread loop, if it has one: then
// a caller that onLoop says is on the loop is that stand-in.
func (l *Loop) lentTo() *standIn {
	if !l.lockOS {
		return nil
	}
	return l.standIn.Load()
}

// do runs job on the loop's goroutine, which waits for the stand-in, and
// goes on with runtime.Goexit there if job called it.
func (s *standIn) do(job func()) {
	s.jobs <- job
	if !<-s.done {
		runtime.Goexit()
	}
}

// serve runs a job handed over by the stand-in, as work of the loop's own
// goroutine. If the job calls runtime.Goexit, the stand-in is told to go on
// with it too and rest serves it meanwhile, until it has ended.
func (s *standIn) serve(l *Loop, job func(), rest func()) {
	lent := l.owner.Load()
	ok := false
	defer func() {
		// The stand-in's again before it resumes.
		l.standIn.Store(s)
		l.owner.Store(lent)
		s.done <- ok
		if !ok {
			rest()
		}
	}()
	l.owner.Store(s.host)
	l.standIn.Store(nil) // the job's own calls to the loop run inline
	job()
	ok = true
}

// callStandIn is Call made by a stand-in: fn runs on the loop's thread.
func callStandIn[T any](s *standIn, l *Loop, ctx *task, fn func(context.Context) (T, error)) (v T, p *PanicError, err error) {
	s.do(func() { v, p, err = runTask(l, ctx, fn) })
	return v, p, err
}

// idleSpin is what a thread-locked loop does when its queue is empty, before
// it blocks: it spins for new work or the loop's end. It has not parked, so
// submit does not wake it.
func (l *Loop) idleSpin() {
	spinUntil(func() bool { return l.hasQueued() || l.state.Load()&drainedBit != 0 })
}
