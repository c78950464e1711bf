package synchronicity

import "runtime"

// serve is a serial loop's goroutine: it runs queued jobs in order until the
// loop has closed and drained.
func (l *Loop) serve() {
	defer l.bg.Done()
	if l.lockOS {
		// Never unlocked: the thread ends with this goroutine, so no other
		// goroutine inherits state a thread-affine library left on it.
		runtime.LockOSThread()
	}
	l.wearLabels()
	l.drain(goid())
}

// drain runs the queued jobs of the serial loop goroutine id until the loop
// has closed and drained. Jobs recover their own panics, so a job that does
// not return has called runtime.Goexit.
func (l *Loop) drain(id uint64) {
	var cur job // the job running, if it ends this goroutine
	defer func() {
		if cur == nil {
			return
		}
		// cur called runtime.Goexit: finish it, and carry on.
		l.owner.Store(0)
		cur.finish()
		if l.lockOS {
			// Here, inside the Goexit, which waits for this deferred call:
			// the loop keeps its thread, with the thread-local state of what
			// runs there and the coroutines made on it, which can be resumed
			// only from the thread they were made on.
			l.drain(id)
			return
		}
		l.bg.Add(1)
		go l.serve()
	}()
	for {
		for l.next < len(l.batch) {
			cur = l.batch[l.next]
			l.batch[l.next] = nil
			l.next++
			l.owner.Store(id)
			cur.run()
			// No longer busy before finish wakes a caller, so that a caller
			// calling again does not pay for onLoop's goroutine id.
			l.owner.Store(0)
			cur.finish()
		}
		ran := cur != nil
		cur = nil
		l.mu.Lock()
		l.batch, l.queue, l.next = l.queue, l.batch[:0], 0
		l.pending.Store(false)
		l.mu.Unlock()
		if len(l.batch) > 0 {
			continue
		}
		if l.state.Load()&drainedBit != 0 {
			return
		}
		if ran && l.lockOS {
			l.idleSpin()
			continue
		}
		<-l.wake // a plain receive is cheaper than a select with drained
	}
}

// A job is a piece of a serial loop's work: run runs on the loop goroutine,
// and finish after it, once the loop no longer counts as busy with it.
type job interface {
	run()
	finish()
}

// jobFunc is a job with nothing to do at its finish.
type jobFunc func()

func (j jobFunc) run()  { j() }
func (jobFunc) finish() {}

// enqueue hands fn to a serial loop's goroutine; see submit.
func (l *Loop) enqueue(fn func()) { l.submit(jobFunc(fn)) }

// submit hands a job to a serial loop's goroutine. The queue is unbounded,
// so a job may submit more work without deadlocking.
func (l *Loop) submit(j job) {
	l.mu.Lock()
	l.queue = append(l.queue, j)
	if l.lockOS {
		l.pending.Store(true)
	}
	l.mu.Unlock()
	if !l.spinning.Load() {
		l.poke()
	}
}

// poke wakes a serial loop's goroutine, unless a wake-up is pending already.
func (l *Loop) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// onLoop reports whether the caller is the goroutine running the serial
// loop's current job. Only a busy loop pays for the goroutine id.
func (l *Loop) onLoop() bool {
	o := l.owner.Load()
	return o != 0 && o == goid()
}
