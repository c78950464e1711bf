package synchronicity

import (
	"context"
	"errors"
	"iter"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
)

// A Producer is the author's side of a sequence: it calls yield with each
// value in turn and returns nil when done or an error when it fails. yield
// returns false when the consumer has stopped or ctx has ended; the producer
// must then return soon, without calling yield again. The same Producer
// serves blocking consumers ([Seq]) and async ones ([Start]).
type Producer[T any] func(ctx context.Context, yield func(T) bool) error

// A SeqOption configures how [Seq], [Start], [Map], [Map2] and [MapIndexed]
// run.
type SeqOption func(*seqConfig)

type seqConfig struct {
	prefetch    int // 0: the form's default
	unordered   bool
	stopOnError bool
}

// Prefetch lets the work run up to n values ahead of its consumer, to
// overlap production with consumption. What runs ahead depends on the form:
//
//   - [Seq]: the producer runs on a goroutine of its own (on a serial loop,
//     up to n values per step of the loop) and hands values over as they
//     are made, without a channel operation per value. Without Prefetch a
//     Seq runs in lockstep with its consumer.
//   - [Start]: n is the capacity of the stream's channel; 64 without
//     Prefetch.
//   - [Map], [Map2] and [MapIndexed]: up to n calls run at once, and at most n
//     inputs are read ahead of the loop body. Without Prefetch, n is the
//     loop's [Limit] if it has one, otherwise runtime.GOMAXPROCS(0). On a
//     serial loop the calls run one at a time whatever n is, and n bounds
//     only the read-ahead.
//
// Prefetch panics if n < 1.
func Prefetch(n int) SeqOption {
	if n < 1 {
		panic("synchronicity.Prefetch: n must be at least 1, got " + strconv.Itoa(n))
	}
	return func(c *seqConfig) { c.prefetch = n }
}

// Unordered makes a [Map], [Map2] or [MapIndexed] yield results in the order the
// calls finish instead of the order of their inputs, so one slow call does
// not hold back the others' results.
func Unordered() SeqOption { return func(c *seqConfig) { c.unordered = true } }

// StopOnError makes a [Map], [Map2] or [MapIndexed] end at the first error a call
// returns: the calls in flight are cancelled (their context's cause is that
// error) and waited for; the results already in hand that come before the
// failing one are yielded, then the failing pair, and the sequence ends.
func StopOnError() SeqOption { return func(c *seqConfig) { c.stopOnError = true } }

// configure applies opts for op, panicking on a nil option, or on one that
// applies only to Map given to another form.
func configure(op string, opts []SeqOption) seqConfig {
	if len(opts) == 0 {
		return seqConfig{} // without making c escape
	}
	var c seqConfig
	for _, o := range opts {
		if o == nil {
			panic("synchronicity." + op + ": nil SeqOption")
		}
		o(&c)
	}
	if (c.unordered || c.stopOnError) && (op == "Seq" || op == "Start") {
		panic("synchronicity." + op + ": Unordered and StopOnError apply only to Map, Map2 and MapIndexed")
	}
	return c
}

// errStopped is the cause of the cancellation a producer sees when its
// consumer stops early.
var errStopped error = &cancelError{"synchronicity: consumer stopped"}

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
	n := configure("Seq", opts).prefetch
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
		l.track(&r.t.work, viaSeq, p)
		defer l.untrack(&r.t.work)
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
	if r.pe != nil {
		panic(r.pe)
	}
	if broke {
		return nil
	}
	if r.err == nil && r.cut {
		return explain(ctx, ctx.Err())
	}
	return explain(ctx, r.err)
}

// run is one run of a producer.
type run[T any] struct {
	ctx    context.Context
	cancel context.CancelCauseFunc // ends ctx; nil when ctx is t
	t      task                    // the producer's context, for Seq
	p      Producer[T]
	// The producer's side alone reads and writes these three.
	closed bool        // yield has returned false
	tick   uint32      // values left to admit before the slow path, which asks ctx
	gap    uint32      // values between the last two asks
	cut    bool        // closed because ctx ended
	broke  bool        // ... because the consumer stopped (inline)
	inBody bool        // the consumer's body is running inside p (inline)
	err    error       // what p returned
	pe     *PanicError // how p panicked
}

// produce calls p, catching its panic but not one of an inline body's.
func (r *run[T]) produce(yield func(T) bool) {
	defer func() {
		if !r.inBody {
			if v := recover(); v != nil {
				r.pe = newPanicError(v)
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
	return r.refuse()
}

// refuse is admit's slow path: a closed yield, or a look at ctx.
func (r *run[T]) refuse() bool {
	if r.closed {
		if r.cut {
			panic("synchronicity: producer called yield after it returned false (its context had ended)")
		}
		panic("synchronicity: producer called yield after it returned false")
	}
	if !r.ended() {
		r.tick = r.gap
		r.gap = min(2*r.gap, pollMax)
		return true
	}
	r.close()
	r.cut = true
	return false
}

// ended asks ctx whether it is done; for Seq's task, without the interface
// call.
func (r *run[T]) ended() bool {
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
	n = max(n, 1)
	steps := func(yield func([]T) bool) {
		id := goid()
		l.owner.Store(id) // blocking calls p makes to the loop run inline
		batch := make([]T, 0, n)
		r.produce(func(v T) bool {
			if !r.admit() {
				return false
			}
			if batch = append(batch, v); len(batch) < n {
				return true
			}
			ok := yield(batch)
			batch = batch[:0] // the consumer is done with it by the time we resume
			l.owner.Store(id)
			if !ok {
				r.close()
			}
			return ok
		})
		if len(batch) > 0 && !r.closed {
			yield(batch)
		}
	}
	var (
		next  func() ([]T, bool)
		stop  = func() {}
		batch []T
		more  = true
		reply = chanFor[struct{}](l, 1)
	)
	onLoop := func(job func()) func() {
		return func() {
			l.enqueue(func() {
				defer func() { reply <- struct{}{} }()
				defer l.owner.Store(l.owner.Load())
				job()
			})
			<-reply
		}
	}
	step := onLoop(func() {
		batch, more = nil, false // as they stay if p calls runtime.Goexit
		if next == nil {
			// The coroutine must start on the loop's goroutine, whose
			// thread lock it shares.
			next, stop = iter.Pull(steps)
		}
		batch, more = next()
	})
	defer onLoop(func() { stop() })() // p's cleanup runs on the loop too
	for {
		step()
		if !more {
			return false
		}
		for _, v := range batch {
			if !body(v, nil) {
				return true
			}
		}
	}
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

// ring is a single-producer, single-consumer queue of fixed size.
type ring[T any] struct {
	buf          []T
	tail         atomic.Uint64 // values published by the producer
	ptail, phead uint64        // the producer's own: tail, and head as it last saw it
	ppos         int           // where the producer writes next
	_            [32]byte      // the two counters live on separate cache lines
	head         atomic.Uint64 // values released by the consumer
	_            [56]byte
	cwait, pwait waiter // consumer waiting for values, producer for room
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
		if !r.admit() || q.ptail-q.phead == uint64(len(q.buf)) && !q.room(r) {
			return false
		}
		q.buf[q.ppos] = v
		if q.ppos++; q.ppos == len(q.buf) {
			q.ppos = 0
		}
		q.ptail++
		q.tail.Store(q.ptail) // at once: the producer may pause after this value
		q.cwait.wake(q.cwake)
		return true
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

// FromSeq turns a blocking iterator into a producer, so that it can be
// moved onto a loop, prefetched or streamed.
func FromSeq[T any](seq iter.Seq[T]) Producer[T] {
	if seq == nil {
		panic("synchronicity.FromSeq: nil sequence")
	}
	return func(_ context.Context, yield func(T) bool) error {
		seq(yield) // not a range over seq: that would put a call between them
		return nil
	}
}

// defaultBuffer is the capacity of a stream's channel unless [Prefetch] sets
// another.
const defaultBuffer = 64

// A Stream is a producer running on a loop, delivering its values on a
// channel: the async form of [Seq], for select. Make one with [Start].
//
// Receive from C until it is closed, then call Stop for the producer's
// error; or call Stop at any time to end the stream early. A stream delivers every value unless it is stopped: by
// Stop, by its context, or by its loop's Close. Ranging C alone, with the
// *Stream dropped, gets every value; a stream abandoned half-read is ended
// by its context or its loop. (Collection stops nothing: the collector's
// goroutine belongs to no testing/synctest bubble, and a stream made in one
// may be stopped only from inside it.)
type Stream[T any] struct{ s *stream[T] }

// stream is the state the producer's goroutine shares with the handle; it
// never refers to the handle, so the handle can be collected.
type stream[T any] struct {
	ch      chan T
	done    chan struct{} // closed once err and pe are set, just before ch
	err     error
	pe      *PanicError
	rec     atomic.Pointer[panicRecord] // with pe, whether it was observed
	checked atomic.Bool                 // C was checked for a wait on the loop's goroutine
	orphan  atomic.Bool                 // the handle has been collected
	ranged  atomic.Bool
	cancel  context.CancelCauseFunc
	loop    *Loop
	work    inflight
}

// Start runs producer p on loop l and returns a stream of its values at
// once. The producer runs ahead of the receiver by up to the channel's
// capacity: 64 values, or n with [Prefetch](n). Its context is done
// when ctx is done, the stream is stopped or the loop closes. On a closed
// loop the stream is already closed, and Stop reports [ErrClosed].
func Start[T any](ctx context.Context, l *Loop, p Producer[T], opts ...SeqOption) *Stream[T] {
	mustArgs("Start", ctx, p == nil)
	size := configure("Start", opts).prefetch
	if size == 0 {
		size = defaultBuffer
	}
	l = orDefault(l)
	s := &stream[T]{ch: chanFor[T](l, size), done: chanFor[struct{}](l, 0), loop: l}
	if !l.acquire() {
		s.err = l.closedError("Start")
		s.cancel = func(error) {}
		close(s.ch)
		close(s.done)
		return &Stream[T]{s}
	}
	tctx, cancel := l.bind(ctx)
	s.cancel = cancel
	l.track(&s.work, viaStart, p)
	go s.run(tctx, l, p, size)
	h := &Stream[T]{s}
	whenCollected(h, s)
	return h
}

// run is the stream's goroutine: it drives p straight into the channel (on a
// serial loop, in steps of up to size values).
func (s *stream[T]) run(ctx context.Context, l *Loop, p Producer[T], size int) {
	defer l.release()
	defer l.untrack(&s.work)
	defer close(s.ch)
	defer close(s.done) // first, so that Err is ready once C is closed
	defer s.cancel(errStopped)
	defer func() {
		if v := recover(); v != nil {
			s.pe = newPanicError(v)
			r := l.notePanic(s.pe)
			s.rec.Store(r)
			if s.orphan.Load() { // nobody can call Stop any more
				r.report()
			}
		}
	}()
	l.wearLabels()
	n := 0
	if l.serial {
		n = size
	}
	cut := false
	s.err = errGoexit // stays if p calls runtime.Goexit
	s.err = drive(&run[T]{ctx: ctx, cancel: s.cancel, p: p}, l, n, func(v T, _ error) bool {
		select { // while the channel has room, skip the two-channel select
		case s.ch <- v:
			return true
		default:
		}
		select {
		case s.ch <- v:
			return true
		case <-ctx.Done():
			cut = true
			return false
		}
	})
	if cut && s.err == nil {
		s.err = explain(ctx, ctx.Err())
	}
}

// collected is called once the handle is unreachable: nobody can read its
// Stop any more, so a panic goes to the loop.
func (s *stream[T]) collected() {
	s.orphan.Store(true)
	if r := s.rec.Load(); r != nil {
		go r.report() // not on the collector's goroutine; see panicRecord.collected
	}
}

// C returns the channel of the stream's values. It is closed when the
// producer has returned, after which Stop reports how it ended.
func (s *Stream[T]) C() <-chan T {
	st := s.state()
	if !st.checked.Load() { // once: C may be asked for in every select
		st.mustNotWaitHere("Stream.C")
		st.checked.Store(true)
	}
	return st.ch
}

// state returns the stream's state, panicking on a zero Stream.
func (s *Stream[T]) state() *stream[T] {
	if s.s == nil {
		panic("synchronicity: use of a zero Stream; streams come from Start")
	}
	return s.s
}

// mustNotWaitHere panics if the caller is the goroutine of the stream's
// serial loop while the stream runs: the producer's steps are queued
// behind the caller, so its values and its end would never come.
func (s *stream[T]) mustNotWaitHere(op string) {
	select {
	case <-s.done:
	default:
		s.loop.mustNotWaitHere(op)
	}
}

// err returns nil while the stream runs, and once C is closed the
// producer's error, or the context's if the stream was cut short. If the
// producer panicked, err panics with its *PanicError, or returns it if the
// loop has reported it already, as [Future.Result] does.
func (s *Stream[T]) err() error {
	st := s.state()
	select {
	case <-st.done:
	default:
		return nil
	}
	if st.pe != nil {
		pe, wasReported := st.rec.Load().observe()
		if !wasReported {
			panic(pe)
		}
		return pe
	}
	return st.err
}

// Stop cancels the producer if it is still running and waits for it to
// return. It returns the producer's error, or the context's if the stream
// was cut short, leaving out the cancellation Stop itself caused: nil after
// a producer that succeeded or was stopped here. If the producer panicked,
// Stop panics with its *[PanicError], or returns it if the loop has reported
// it already, as [Future.Result] does. Values still in C are dropped. Stop
// may be called more than once.
func (s *Stream[T]) Stop() error {
	st := s.state()
	st.mustNotWaitHere("Stream.Stop")
	st.cancel(errStopped)
	<-st.done
	if err := s.err(); !errors.Is(err, errStopped) {
		return err
	}
	return nil
}

// Seq returns the stream's values as a sequence for a range loop, ending
// with (zero, err) if the stream failed. Breaking out of the loop stops the
// stream. A panic in the loop body goes on as it was raised, and a panic of
// the producer's that the body did not get to see goes to the loop, as one
// nobody observed. A stream's values are delivered once: ranging over Seq a
// second time panics.
func (s *Stream[T]) Seq() iter.Seq2[T, error] {
	st := s.state()
	return func(yield func(T, error) bool) {
		if !st.ranged.CompareAndSwap(false, true) {
			panic("synchronicity: Stream.Seq ranged over twice; a stream delivers its values once")
		}
		st.mustNotWaitHere("Stream.Seq")
		finished, inBody := false, false
		defer func() {
			switch {
			case finished:
			case inBody:
				// The body panicked (or called runtime.Goexit): its panic
				// goes on as it was raised, and the producer's, if any,
				// goes to the loop instead of taking its place.
				st.cancel(errStopped)
				<-st.done
				if st.pe != nil {
					st.rec.Load().report()
				}
			default:
				s.Stop()
			}
		}()
		for v := range st.ch {
			inBody = true
			if !yield(v, nil) {
				inBody = false
				return
			}
			inBody = false
		}
		finished = true
		if err := s.err(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}
