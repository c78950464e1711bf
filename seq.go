package synchronicity

import (
	"context"
	"iter"
	"runtime/pprof"
	"runtime/trace"
)

// Seq returns a sequence that runs producer p on loop l each time it is
// ranged over, yielding its values with a nil error and, if p fails, a last
// pair (zero, err).
//
// By default iteration is lockstep: p runs only while the loop body waits
// for the next value, as with any iter.Seq (on a concurrent loop it runs on
// the ranging goroutine; on a serial loop it is stepped on the loop's
// goroutine as a coroutine, and other work runs between steps). [Prefetch]
// lets it run ahead.
//
// Breaking out of the loop, returning from it or panicking in it makes
// yield return false and cancels p's context; p's deferred cleanup has run
// before the range statement ends. If ctx ends or the loop closes, the last
// pair carries ctx's error; p should watch ctx, and for one that does not
// (such as [FromSeq]'s) yield starts returning false moments after ctx
// ends. A panic in p re-panics in the ranging goroutine as a *[PanicError].
func Seq[T any](ctx context.Context, l *Loop, p Producer[T], opts ...SeqOption) iter.Seq2[T, error] {
	mustArgs("Seq", ctx, p == nil)
	n := max(configure("Seq", opts).prefetch, 0)
	return func(yield func(T, error) bool) {
		l := orDefault(l)
		if !l.acquire() {
			var zero T
			yield(zero, l.closedError("Seq"))
			return
		}
		defer l.release()
		// The producer's context is a task inside the run: no context of
		// the context package, and no registration with ctx or the loop's
		// until the producer asks for Done or runs long (see refuse).
		r := &run[T]{p: p}
		r.t.init(ctx, l)
		r.ctx = &r.t
		defer r.t.stop()
		r.work = &r.t.work
		l.track(ctx, r.work, viaSeq, p)
		defer l.untrack(r.work)
		if trace.IsEnabled() {
			var tt *trace.Task
			r.ctx, tt = l.traceTask(r.ctx, r.work)
			defer tt.End()
		}
		l.wearLabels()
		defer pprof.SetGoroutineLabels(ctx)
		if err := drive(r, l, n, yield); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// drive runs p and passes its values to body until either stops. It returns
// the error the consumer should see last: p's error, ctx's error if p was cut
// short by ctx, or nil if p succeeded or body stopped first. A panic in p
// re-panics here as a *PanicError; a panic in body passes through untouched
// once p has been stopped.
func drive[T any](r *run[T], l *Loop, n int, body func(T, error) bool) error {
	ctx := r.ctx
	r.tick, r.gap = 1, 1
	normal := false
	defer func() {
		if !normal { // body panicked or exited, and p's panic cannot go up
			l.lost(r.pe)
		}
	}()
	var broke bool
	switch {
	case l.serial && !l.onLoop():
		broke = r.serial(l, n, body)
	case n > 0 && !l.serial:
		broke = r.prefetch(l, n, body)
	default:
		broke = r.inline(body)
	}
	normal = true
	var err error
	switch {
	case r.pe != nil, broke:
	case r.err == nil && r.cut:
		err = explain(ctx, ctx.Err())
	default:
		err = explain(ctx, r.err)
	}
	r.work.end = outcomeOf(err, r.pe)
	if r.pe != nil {
		panic(r.pe)
	}
	return err
}

// run is one run of a producer.
type run[T any] struct {
	ctx    context.Context
	cancel context.CancelCauseFunc // ends ctx; nil when ctx is t
	t      task                    // the producer's context, for Seq
	p      Producer[T]
	work   *inflight // the run's, in its loop's work in flight
	// The producer's side alone reads and writes these three.
	closed bool        // yield has returned false
	tick   uint32      // values left to admit before the slow path, which asks ctx
	gap    uint32      // values between the last two asks
	cut    bool        // closed because ctx ended
	broke  bool        // ... because the consumer stopped (inline)
	inBody bool        // the consumer's body is running inside p (inline)
	err    error       // what p returned
	pe     *PanicError // how p panicked
	// A stream's run on a serial loop: its steps are queued under key, and
	// kick is told of each, so that a wait on the loop's goroutine can run
	// them (see stream.pump).
	key  any
	kick chan struct{}
}

// produce calls p, catching its panic but not one of an inline body's.
func (r *run[T]) produce(yield func(T) bool) {
	defer func() {
		if !r.inBody {
			if v := recover(); v != nil {
				r.pe = workPanic(v, r.work)
			}
		}
	}()
	r.err = errGoexit // stays if p calls runtime.Goexit
	r.err = r.p(r.ctx, yield)
}

// pollMax is how many values a run admits at most between two looks at its
// context: it looks on the 1st, 2nd, 4th, 8th and 16th value, then on every
// 32nd. A run that stops early (the common "take a few" loop) looks seldom;
// a long one pays a counter per value, where asking ctx on every value
// would double the cost of a lockstep step. A producer that ignores ctx is
// so stopped at most pollMax values after ctx ends, on any number of
// processors: nothing depends on another goroutine running.
const pollMax = 32

// close makes yield return false from now on; the next admit takes the
// slow path, which panics.
func (r *run[T]) close() { r.closed, r.tick = true, 1 }

// stopCtx ends the producer's context: its consumer has stopped.
func (r *run[T]) stopCtx() {
	if r.cancel != nil {
		r.cancel(errStopped)
	} else {
		r.t.stop()
	}
}

// admit is the check at the top of every yield: it panics on a yield after
// false, and turns the end of ctx into false.
func (r *run[T]) admit() bool {
	if r.tick--; r.tick != 0 {
		return true
	}
	return r.admitSlow()
}

// admitSlow is admit's slow path: a closed yield, or a look at ctx.
func (r *run[T]) admitSlow() bool {
	if r.closed {
		if r.cut {
			panic("synchronicity: producer called yield after it returned false (its context had ended)")
		}
		panic("synchronicity: producer called yield after it returned false")
	}
	if !r.ctxEnded() {
		r.tick = r.gap
		r.gap = min(2*r.gap, pollMax)
		return true
	}
	r.close()
	r.cut = true
	return false
}

// ctxEnded asks ctx whether it is done; for Seq's task, without the interface
// call.
func (r *run[T]) ctxEnded() bool {
	if r.cancel == nil {
		return r.t.ended() != live
	}
	return r.ctx.Err() != nil
}

// inline runs p on this goroutine with body inside its yield: lockstep.
func (r *run[T]) inline(body func(T, error) bool) (broke bool) {
	r.produce(func(v T) bool {
		if !r.admit() {
			return false
		}
		r.inBody = true
		ok := body(v, nil)
		r.inBody = false
		if !ok {
			r.close()
			r.broke = true
		}
		return ok
	})
	return r.broke
}

// serial steps p as a coroutine on the loop's goroutine and hands each
// step's values to body on this goroutine. A step runs p until it has
// produced n values (or ends); the values are batched inside the coroutine,
// so a step costs one coroutine switch pair however large n is.
func (r *run[T]) serial(l *Loop, n int, body func(T, error) bool) (broke bool) {
	s := &stepper[T]{r: r, loop: l, reply: reply{done: l.replyChan()}}
	if n = max(n, 1); n == 1 {
		s.buf = s.one[:0]
	} else {
		s.buf = make([]T, 0, n)
	}
	defer func() {
		// A producer that has returned is done with: only one stopped at a
		// yield (a break, a panic in the body) has cleanup left to run,
		// and it runs on the loop too.
		if s.more && s.stop != nil {
			s.stopping = true
			s.do()
		}
		l.replies.Put(s.reply.done) // every step's wake-up was received: empty
	}()
	for {
		s.do()
		if !s.more {
			return false
		}
		for _, v := range s.buf {
			if !body(v, nil) {
				return true
			}
		}
	}
}

// A stepper is the job that runs one step of a lockstep range on a serial
// loop's goroutine: one per range, submitted again for each step, and the
// state the steps share. A stream's steps carry its key, so that a wait
// for the stream on the loop's own goroutine can run them (see
// stream.pump).
type stepper[T any] struct {
	q        jobLink
	r        *run[T]
	loop     *Loop
	next     func() ([]T, bool) // the coroutine, from the first step on
	stop     func()
	stopping bool // the next step stops the coroutine
	more     bool // the last step found values, and p has not returned
	buf      []T  // the last step's values
	one      [1]T // buf's array in lockstep
	yield    func([]T) bool
	id       uint64 // the coroutine's goroutine
	reply    reply
}

func (s *stepper[T]) run() {
	defer s.reply.ready()
	defer s.loop.owner.Store(s.loop.owner.Load())
	if s.stopping {
		s.stop()
		return
	}
	s.more = false // as it stays if p calls runtime.Goexit
	if s.next == nil {
		// The coroutine must start on the loop's goroutine, whose thread
		// lock it shares.
		s.next, s.stop = iter.Pull(s.steps)
	}
	_, s.more = s.next()
}

func (*stepper[T]) finish()          {}
func (s *stepper[T]) link() *jobLink { return &s.q }
func (s *stepper[T]) of() any        { return s.r.key }

// steps is the coroutine: it runs p, handing over buf each time it fills.
func (s *stepper[T]) steps(yield func([]T) bool) {
	s.id, s.yield = goid(), yield
	s.loop.owner.Store(s.id) // blocking calls p makes to the loop run inline
	s.buf = s.buf[:0]
	s.r.produce(s.put)
	if len(s.buf) > 0 && !s.r.closed {
		yield(s.buf)
	}
}

// put is p's yield inside the coroutine.
func (s *stepper[T]) put(v T) bool {
	if !s.r.admit() {
		return false
	}
	if s.buf = append(s.buf, v); len(s.buf) < cap(s.buf) {
		return true
	}
	ok := s.yield(s.buf)
	s.buf = s.buf[:0] // the consumer is done with it by the time we resume
	s.loop.owner.Store(s.id)
	if !ok {
		s.r.close()
	}
	return ok
}

// do runs the next step on the loop's goroutine and returns once it has.
func (s *stepper[T]) do() {
	s.loop.submit(s)
	if k := s.r.kick; k != nil {
		select {
		case k <- struct{}{}:
		default:
		}
	}
	s.reply.wait(s.loop)
	s.reply.reset()
}

// replyChan returns a channel of capacity one, empty, for a reply; put it
// back into l.replies once empty again.
func (l *Loop) replyChan() chan struct{} {
	if ch, ok := l.replies.Get().(chan struct{}); ok {
		return ch
	}
	return chanFor[struct{}](l, 1)
}

// prefetch runs p on a goroutine of its own, up to n values ahead, handing
// values over through a ring buffer: one atomic store per value, and a
// wake-up only when a side had to wait.
func (r *run[T]) prefetch(l *Loop, n int, body func(T, error) bool) (broke bool) {
	q := &ring[T]{buf: make([]T, n), exited: make(chan struct{}), cwake: make(chan struct{}, 1), pwake: make(chan struct{}, 1)}
	go q.produce(l, r)
	defer func() {
		q.left.Store(true)
		r.stopCtx() // the producer may be busy elsewhere than in yield
		q.pwait.wake(q.pwake)
		<-q.exited
	}()
	buf, every := q.buf, uint64(max(1, n/4))
	var head, released, tail uint64
	pos := 0
	for {
		if head == tail {
			if tail = q.tail.Load(); head == tail {
				q.release(head)
				released = head
				if q.done.Load() {
					if tail = q.tail.Load(); head == tail {
						return false
					}
					continue
				}
				q.cwait.park(q.cwake, func() bool { return q.tail.Load() != head || q.done.Load() })
				continue
			}
		}
		v := buf[pos]
		if pos++; pos == len(buf) {
			pos = 0
		}
		if head++; head-released >= every {
			q.release(head)
			released = head
		}
		if !body(v, nil) {
			return true
		}
	}
}
