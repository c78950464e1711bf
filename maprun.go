package synchronicity

import (
	"context"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
)

// mapRun is one run of a Map.
//
// Inputs are numbered in the order they are read; results go into a ring of
// n slots, indexed by input number (or, unordered, by completion number),
// and the consumer takes them in turn. A slot is free again once the
// consumer has taken its result, and an input is read only while fewer than
// n are read and not yet taken, so the ring never overflows and the input
// never runs more than n ahead. Workers take turns reading in: the one
// holding the reader token pulls one value, lets go of the token and calls
// fn. Nothing blocks on a channel unless it has to wait: the consumer for a
// result, the token holder for room in the ring, a worker for something to
// do.
type mapRun[A, R any] struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	loop   *Loop
	fn     func(context.Context, A) (R, error)
	exited func(A) R // see mapSeq
	// keepCut keeps the results of calls cut short by the run's end, to be
	// yielded before its last pair: MapIndexed gives every input that was
	// started its pair.
	keepCut bool
	in      iter.Seq[A]
	n       uint64
	cfg     seqConfig
	slots   []mapSlot[R]

	// Each line of counters below is written by one side, once or twice per
	// item; they are kept apart so that the sides do not slow each other.
	// Without this padding and the slots', BenchmarkMap/unordered took 61%
	// longer (225 against 362 ns an item, benchstat, 6 runs each).
	_ [64]byte

	// The reader token, and what its holder owns.
	reading   atomic.Bool
	read      atomic.Uint64 // inputs read
	seenTaken uint64        // a recent value of taken, to skip loading it
	next      func() (struct{}, bool)
	stop      func()
	inputs    []mapInput[A]
	_         [64]byte

	claimed atomic.Uint64 // inputs taken by workers
	_       [56]byte

	taken    atomic.Uint64 // results taken by the consumer
	_        [56]byte
	finished atomic.Uint64 // calls finished, the completion numbers when unordered
	_        [56]byte

	// Written rarely, read often.
	halt         atomic.Bool // the run is ending; why is in mu's fields
	eof          atomic.Bool
	starved      atomic.Bool   // the consumer is about to wait: more workers are wanted
	want         atomic.Uint64 // the result the parked consumer waits for
	cwait, rwait waiter        // consumer waiting for a result, token holder for room
	cwake, rwake chan struct{}
	_            [64]byte

	mu      sync.Mutex
	idle    []*mapWorker[R] // parked workers, last in first out
	live    int             // workers started and not returned
	pes     []*PanicError   // the panics, in fn, in in or in its cleanup
	failed  bool            // StopOnError: a call failed, or in called runtime.Goexit
	failedR R
	failedE error
	wg      sync.WaitGroup

	stopAfter func() bool // unregisters stopAll from ctx
}

// mapInput holds one input; full is its number + 1 from when it is read
// until a worker has taken it.
type mapInput[A any] struct {
	v    A
	full atomic.Uint64
}

// mapSlot holds one result; done is its number + 1 once it is written.
type mapSlot[R any] struct {
	v    R
	err  error
	done atomic.Uint64
	_    [64]byte // neighbouring slots' done words a cache line apart, whatever R is
}

type mapWorker[R any] struct {
	wake chan struct{}

	// Serial loops: the call's outcome, and a signal that it has run.
	reply chan struct{}
	r     R
	err   error
	p     *PanicError
}

// consume is the ranging goroutine's side: it takes results in turn.
func (m *mapRun[A, R]) consume(yield func(R, error) bool) {
	m.stopAfter = context.AfterFunc(m.ctx, m.stopAll)
	finished, broke := false, false
	defer func() {
		if finished {
			return
		}
		m.shutdown()
		// Panics in calls cut short by the body's break go up here; if the
		// body is panicking or exiting itself, they go to the loop.
		if p := joinPanics(m.pes); p != nil {
			if broke {
				panic(p)
			}
			m.loop.lost(p)
		}
	}()
	m.wakeOrStart()
	thresh := max(m.n/2, 1)
	var t uint64
	for !m.halt.Load() {
		s := &m.slots[t%m.n]
		if s.done.Load() != t+1 && !m.await(t, s) {
			break
		}
		v, err := s.v, s.err
		var zero R
		s.v, s.err = zero, nil
		t++
		m.taken.Store(t)
		if m.rwait.parked.Load() && m.n-(m.read.Load()-t) >= thresh {
			m.rwait.wake(m.rwake)
		}
		if !yield(v, err) {
			broke = true
			return
		}
	}
	finished = true
	halted, ctxErr := m.halt.Load(), m.ctx.Err()
	m.shutdown()
	switch {
	case len(m.pes) > 0:
		panic(joinPanics(m.pes))
	case !halted:
	case m.failed:
		if m.yieldSettled(t, yield) {
			yield(m.failedR, m.failedE)
		}
	case ctxErr != nil:
		if !m.keepCut || m.yieldSettled(t, yield) {
			var zero R
			yield(zero, explain(m.ctx, ctxErr))
		}
	}
}

// yieldSettled yields the results settled from t on, once the workers have
// returned. It reports whether the consumer wants more.
func (m *mapRun[A, R]) yieldSettled(t uint64, yield func(R, error) bool) bool {
	for s := &m.slots[t%m.n]; s.done.Load() == t+1; s = &m.slots[t%m.n] {
		t++
		if !yield(s.v, explain(m.ctx, s.err)) {
			return false
		}
	}
	return true
}

// await waits for result t, waking or starting a worker if none may be on
// its way. It reports false if the run ended or the input ran out first.
func (m *mapRun[A, R]) await(t uint64, s *mapSlot[R]) bool {
	ready := func() bool {
		return s.done.Load() == t+1 || m.halt.Load() || m.eof.Load() && m.read.Load() == t
	}
	spin(ready)
	for !ready() {
		m.want.Store(t + 1)
		m.starved.Store(true)
		if m.read.Load()-t < m.n {
			m.rwait.wake(m.rwake)
		}
		m.wakeOrStart()
		m.cwait.park(m.cwake, ready)
	}
	m.starved.Store(false)
	return s.done.Load() == t+1
}

// wakeOrStart wakes an idle worker, or starts one if fewer than n run.
func (m *mapRun[A, R]) wakeOrStart() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.halt.Load() || m.inputsTaken() {
		return
	}
	if k := len(m.idle); k > 0 {
		w := m.idle[k-1]
		m.idle = m.idle[:k-1]
		w.wake <- struct{}{}
		return
	}
	if uint64(m.live) < m.n {
		m.live++
		m.wg.Add(1)
		go m.work()
	}
}

// wakeAll wakes every idle worker, to look again at halt and eof.
func (m *mapRun[A, R]) wakeAll() {
	m.mu.Lock()
	idle := m.idle
	m.idle = nil
	m.mu.Unlock()
	for _, w := range idle {
		w.wake <- struct{}{}
	}
}

// stopAll ends the run for everyone: it sets halt and wakes whoever waits.
func (m *mapRun[A, R]) stopAll() {
	m.halt.Store(true)
	m.wakeAll()
	m.rwait.wake(m.rwake)
	m.cwait.wake(m.cwake)
}

// shutdown cancels the calls in flight, waits for the workers, and stops in.
func (m *mapRun[A, R]) shutdown() {
	m.stopAfter()
	m.cancel(errStopped)
	m.stopAll()
	m.wg.Wait()
	if m.stop != nil && !m.eof.Load() {
		// The input's coroutine was made by a worker, on a goroutine not
		// locked to a thread; this one may be, and a coroutine must be
		// stopped with the lock state it was made with. So a goroutine of
		// the same kind stops it.
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if x := recover(); x != nil {
					m.pes = append(m.pes, newPanicError(x))
				}
			}()
			m.stop()
		}()
		<-done
	}
}

// fail records a panic, or a failure that ends the run (with StopOnError a
// failed call), and ends the run. Panics win over anything else, and are
// all kept; otherwise the first reason wins.
func (m *mapRun[A, R]) fail(p *PanicError, r R, err error) {
	m.mu.Lock()
	first := len(m.pes) == 0 && !m.failed && !m.halt.Load()
	if p != nil {
		m.pes = append(m.pes, p)
	} else if first {
		m.failed, m.failedR, m.failedE = true, r, err
	}
	m.mu.Unlock()
	if p != nil {
		m.cancel(p)
	} else if first {
		m.cancel(err)
	}
	m.stopAll()
}

// work is a worker goroutine: it takes an input, calls fn and publishes the
// result; when no input is waiting it reads more, or else idles; it returns
// once the input has run out or the run is ending.
func (m *mapRun[A, R]) work() {
	m.loop.wearLabels()
	w := &mapWorker[R]{wake: chanFor[struct{}](m.loop, 1)}
	if m.loop.serial {
		w.reply = chanFor[struct{}](m.loop, 1)
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
		l.await(w.reply)
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
	m.loop.enqueue(func() {
		defer func() { w.reply <- struct{}{} }()
		w.r, w.p, w.err = mapCall(m.ctx, m.fn, v)
	})
}

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
