package synchronicity

import (
	"iter"
	"runtime"
)

// The workers' side of a Map run (see mapRun): taking inputs, reading more
// from the input sequence, calling fn and publishing results.

// work is a worker goroutine: it takes an input, calls fn and publishes the
// result; when no input is waiting it reads more, or else idles; it returns
// once the input has run out or the run is ending.
func (m *mapRun[A, R]) work() {
	m.loop.wearLabels()
	w := &mapWorker[R]{wake: chanFor[struct{}](m.loop, 1)}
	if m.loop.serial {
		w.reply.done = chanFor[struct{}](m.loop, 1)
	}
	var (
		t       uint64
		v       A    // input t
		active  bool // between taking input t and settling its result
		reading bool // holding the reader token
	)
	defer func() {
		// Counted out first: whoever the outcome below wakes may need
		// another worker in this one's place.
		m.mu.Lock()
		m.live--
		m.mu.Unlock()
		var zero R
		if active { // fn called runtime.Goexit
			m.settle(t, m.exitedResult(v), errGoexit)
		}
		if reading { // in called runtime.Goexit: nothing can read it again
			m.fail(nil, zero, errInputGoexit)
		}
		m.wg.Done()
	}()
	for !m.halt.Load() && !m.inputsTaken() {
		var ok bool
		if v, t, ok = m.take(w); ok {
			active = true
			r, p, err := m.call(w, v)
			active = false
			if p != nil {
				var zero R
				m.fail(p, zero, nil)
				continue
			}
			m.settle(t, r, err)
			continue
		}
		if m.claimed.Load() < m.read.Load() {
			continue // lost a race for an input
		}
		if !m.eof.Load() && m.reading.CompareAndSwap(false, true) {
			reading = true
			m.readSome()
			reading = false
			m.reading.Store(false)
			continue
		}
		m.idleUntilNeeded(w)
	}
}

// inputsTaken reports whether every input has been read and taken.
func (m *mapRun[A, R]) inputsTaken() bool {
	return m.eof.Load() && m.claimed.Load() >= m.read.Load()
}

// take takes the next input read and not yet taken, if any. On a serial
// loop it also queues the call, so that calls run in input order.
func (m *mapRun[A, R]) take(w *mapWorker[R]) (v A, t uint64, ok bool) {
	t = m.claimed.Load()
	if t >= m.read.Load() {
		return v, 0, false
	}
	if m.loop.serial {
		m.mu.Lock()
		if t = m.claimed.Load(); t >= m.read.Load() {
			m.mu.Unlock()
			return v, 0, false
		}
		m.claimed.Store(t + 1)
		v = m.copyInput(t)
		m.enqueue(w, v)
		m.mu.Unlock()
	} else if m.claimed.CompareAndSwap(t, t+1) {
		v = m.copyInput(t)
	} else {
		return v, 0, false
	}
	if m.starved.Load() && (t+1 < m.read.Load() || !m.eof.Load() && !m.reading.Load()) {
		// The consumer is starved: have another worker take the next
		// input while this one calls fn, or read more if this was the
		// last one read. (Inputs read while the consumer had results in
		// hand woke nobody; this chain is what puts every worker to use.)
		m.wakeOrStart()
	}
	return v, t, true
}

// copyInput takes input t out of its slot, leaving the slot free.
func (m *mapRun[A, R]) copyInput(t uint64) A {
	in := &m.inputs[t%m.n]
	v := in.v
	var zero A
	in.v = zero
	in.full.Store(0)
	return v
}

// settle hands the result of input t to the consumer, or with StopOnError
// ends the run if it is an error.
func (m *mapRun[A, R]) settle(t uint64, r R, err error) {
	if err != nil {
		if m.ctx.Err() != nil {
			// The run is ending, and its last pair will say why: a call
			// cut short by it is not a result, unless keepCut.
			defer m.stopAll()
			if !m.keepCut {
				return
			}
		} else if m.cfg.stopOnError {
			m.fail(nil, r, err)
			return
		}
	}
	if m.cfg.unordered {
		t = m.finished.Add(1) - 1
	}
	s := &m.slots[t%m.n]
	s.v, s.err = r, err
	s.done.Store(t + 1)
	if m.cwait.parked.Load() && m.want.Load() == t+1 {
		m.cwait.wake(m.cwake)
	}
}

// call calls fn with v as a task of the loop: on a serial loop, on the
// loop's goroutine; under Limit, once it has a turn.
func (m *mapRun[A, R]) call(w *mapWorker[R], v A) (r R, p *PanicError, err error) {
	l := m.loop
	if l.serial {
		w.reply.wait(l)
		w.reply.reset()
		return w.r, w.p, w.err
	}
	if l.slots != nil {
		if !l.takeSlot(m.ctx) {
			return r, nil, m.ctx.Err()
		}
		defer l.freeSlot()
	}
	return mapCall(m.ctx, m.fn, v)
}

// exitedResult is the result of input v whose call called runtime.Goexit.
func (m *mapRun[A, R]) exitedResult(v A) (r R) {
	if m.exited != nil {
		r = m.exited(v)
	}
	return r
}

// enqueue queues the call of fn with v on a serial loop.
func (m *mapRun[A, R]) enqueue(w *mapWorker[R], v A) {
	// What stays if fn calls runtime.Goexit; w holds the previous call's.
	w.r, w.p, w.err = m.exitedResult(v), nil, errGoexit
	m.loop.submit(&mapJob[A, R]{m: m, w: w, v: v})
}

// mapJob is the call of a Map's fn with one input on a serial loop.
type mapJob[A, R any] struct {
	q jobLink
	m *mapRun[A, R]
	w *mapWorker[R]
	v A
}

func (j *mapJob[A, R]) run() {
	defer j.w.reply.ready()
	j.w.r, j.w.p, j.w.err = mapCall(j.m.ctx, j.m.fn, j.v)
}

func (*mapJob[A, R]) finish()          {}
func (j *mapJob[A, R]) link() *jobLink { return &j.q }

// idleUntilNeeded waits while there is nothing to take and another worker
// reads (or the ring is full): briefly looking again, then parked until the
// consumer needs another worker.
func (m *mapRun[A, R]) idleUntilNeeded(w *mapWorker[R]) {
	needed := func() bool {
		return m.halt.Load() || m.eof.Load() || m.claimed.Load() < m.read.Load() ||
			!m.reading.Load() && m.read.Load()-m.taken.Load() < m.n
	}
	if spin(needed) {
		return
	}
	m.mu.Lock()
	if needed() { // looked at again under mu, which wakers take
		m.mu.Unlock()
		return
	}
	m.idle = append(m.idle, w)
	m.mu.Unlock()
	<-w.wake
}

// readSome reads inputs while the ring has room, publishing each as it
// comes. The caller holds the reader token.
//
// The input runs as a coroutine (iter.Pull) so that workers can take turns
// reading it; one turn reads until the ring is full, costing one coroutine
// switch there and back however many inputs it reads.
func (m *mapRun[A, R]) readSome() {
	t := m.read.Load()
	if m.claimed.Load() < t {
		// Read while this worker was taking the token: take those first,
		// rather than wait for room while they wait for a worker.
		return
	}
	for !m.room(t) {
		room := func() bool { return m.room(t) || m.halt.Load() }
		if !spin(room) {
			m.rwait.park(m.rwake, room)
		}
		if m.halt.Load() {
			return
		}
	}
	if m.next == nil {
		m.next, m.stop = iter.Pull(m.session)
	}
	if !m.pull() {
		m.eof.Store(true)
		m.wakeAll()
		m.cwait.wake(m.cwake)
	}
}

// room reports whether input t fits in the ring. The caller holds the reader
// token.
func (m *mapRun[A, R]) room(t uint64) bool {
	if t-m.seenTaken < m.n {
		return true
	}
	m.seenTaken = m.taken.Load()
	return t-m.seenTaken < m.n
}

// session is the coroutine that reads the input: it publishes each value,
// and hands control back to the reader when the ring is full or the run is
// ending.
func (m *mapRun[A, R]) session(yield func(struct{}) bool) {
	for v := range m.in {
		t := m.read.Load()
		in := &m.inputs[t%m.n]
		for in.full.Load() != 0 {
			runtime.Gosched() // a worker has taken the input before but not yet copied it
		}
		in.v = v
		in.full.Store(t + 1)
		m.read.Store(t + 1)
		if m.starved.Load() {
			m.wakeOrStart() // someone must take it
		}
		if (m.halt.Load() || !m.room(t+1)) && !yield(struct{}{}) {
			return
		}
	}
}

// pull resumes the input, catching its panic. It reports false once the
// input has run out (or panicked).
func (m *mapRun[A, R]) pull() (ok bool) {
	defer func() {
		if x := recover(); x != nil {
			var zero R
			m.fail(newPanicError(x), zero, nil)
			ok = false
		}
	}()
	_, ok = m.next()
	return ok
}
