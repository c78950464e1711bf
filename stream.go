package synchronicity

import (
	"context"
	"errors"
	"iter"
	"runtime/trace"
	"sync/atomic"
)

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
	kick    chan struct{} // on a serial loop: a step of the producer is queued
}

// Start runs producer p on loop l and returns a stream of its values at
// once. The producer runs ahead of the receiver by up to the channel's
// buffer: 64 values, or n with [Prefetch](n). Its context is done
// when ctx is done, the stream is stopped or the loop closes. On a closed
// loop the stream is already closed, and Stop reports [ErrClosed].
func Start[T any](ctx context.Context, l *Loop, p Producer[T], opts ...SeqOption) *Stream[T] {
	mustArgs("Start", ctx, p == nil)
	size := configure("Start", opts).prefetch
	if size < 0 {
		size = defaultBuffer
	}
	size = max(size, 1)
	l = orDefault(l)
	// The producer is size values ahead at most: one waiting in its send,
	// and the rest in the channel, or on a serial loop in the step the loop
	// ran for it, whose values it sends one by one.
	capacity := size - 1
	if l.serial {
		capacity = 0
	}
	s := &stream[T]{ch: chanFor[T](l, capacity), done: chanFor[struct{}](l, 0), loop: l}
	if l.serial {
		s.kick = chanFor[struct{}](l, 1)
	}
	if !l.acquire() {
		s.err = l.closedError("Start")
		s.cancel = func(error) {}
		close(s.ch)
		close(s.done)
		return &Stream[T]{s}
	}
	tctx, cancel := l.bind(ctx)
	s.cancel = cancel
	l.track(ctx, &s.work, viaStart, p)
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
	if trace.IsEnabled() {
		var tt *trace.Task
		ctx, tt = l.traceTask(ctx, &s.work)
		defer tt.End()
	}
	r := &run[T]{ctx: ctx, cancel: s.cancel, p: p, work: &s.work}
	if s.kick != nil {
		r.key, r.kick = s, s.kick
	}
	s.err = drive(r, l, n, func(v T, _ error) bool {
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
		s.work.end = canceled
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

// pump waits for a value from ch, or with a nil ch for the stream's end.
// On the goroutine of the stream's serial loop, where the producer's steps
// are queued behind the caller, it runs them as they come, so that the wait
// makes progress. It reports false once ch is closed.
func (s *stream[T]) pump(ch chan T) (v T, ok bool) {
	if s.kick == nil || !s.loop.onLoop() {
		if ch == nil {
			<-s.done
			return v, false
		}
		v, ok = <-ch
		return v, ok
	}
	for {
		select {
		case v, ok = <-ch: // never, for a nil ch
			return v, ok
		case <-s.done:
			if ch == nil {
				return v, false
			}
			v, ok = <-ch // the last values, and the close, come without steps
			return v, ok
		case <-s.kick:
			s.loop.runPending(s)
		}
	}
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
	st.cancel(errStopped)
	st.pump(nil)
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
		finished, inBody := false, false
		defer func() {
			switch {
			case finished:
			case inBody:
				// The body panicked (or called runtime.Goexit): its panic
				// goes on as it was raised, and the producer's, if any,
				// goes to the loop instead of taking its place.
				st.cancel(errStopped)
				st.pump(nil)
				if st.pe != nil {
					st.rec.Load().report()
				}
			default:
				s.Stop()
			}
		}()
		for {
			v, ok := st.pump(st.ch)
			if !ok {
				break
			}
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
