package synchronicity

import (
	"context"
	"iter"
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
	reply reply
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
