package synchronicity

import "sync/atomic"

// ring is a single-producer, single-consumer queue of fixed size.
type ring[T any] struct {
	buf          []T
	tail         atomic.Uint64 // values published by the producer
	ptail, phead uint64        // the producer's own: tail, and head as it last saw it
	ppos         int           // where the producer writes next
	head         atomic.Uint64 // values released by the consumer
	cwait, pwait waiter        // consumer waiting for values, producer for room
	cwake, pwake chan struct{}
	done         atomic.Bool // the producer has returned
	left         atomic.Bool // the consumer has left
	exited       chan struct{}
}

func (q *ring[T]) release(head uint64) {
	q.head.Store(head)
	q.pwait.wake(q.pwake)
}

// produce is the producer's goroutine.
func (q *ring[T]) produce(l *Loop, r *run[T]) {
	l.wearLabels()
	defer close(q.exited)
	defer func() {
		q.done.Store(true)
		q.cwait.wake(q.cwake)
	}()
	r.produce(func(v T) bool {
		if !r.admit() {
			return false
		}
		q.buf[q.ppos] = v // there is room: the previous call waited for it
		if q.ppos++; q.ppos == len(q.buf) {
			q.ppos = 0
		}
		q.ptail++
		q.tail.Store(q.ptail) // at once: the producer may pause after this value
		q.cwait.wake(q.cwake)
		// Wait for room before the producer makes its next value, so that it
		// is never more than the ring's size ahead of the consumer.
		return q.ptail-q.phead < uint64(len(q.buf)) || q.room(r)
	})
}

// room waits until the ring has room, or returns false if the consumer has
// left.
func (q *ring[T]) room(r *run[T]) bool {
	size := uint64(len(q.buf))
	for {
		if q.phead = q.head.Load(); q.ptail-q.phead < size {
			return true
		}
		if q.left.Load() {
			r.close()
			return false
		}
		head := q.phead
		q.pwait.park(q.pwake, func() bool { return q.head.Load() != head || q.left.Load() })
	}
}
