package synchronicity

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A Loop owns the lifetime of the work started through it: it runs tasks,
// cancels them when it closes, waits for every goroutine it started, and
// reports panics nobody observed.
//
// A concurrent loop (the default) runs each task on a goroutine of its own,
// or on the caller's goroutine for blocking calls, where it adds tracking,
// cancellation and panic capture but no hand-off. A serial loop ([Serial],
// [LockOSThread]) runs all work on one goroutine in submission order.
//
// A nil *Loop passed to any function of this package means [Default].
// A Loop is safe for use by many goroutines; it must not be copied.
type Loop struct {
	id      uint64
	name    string
	serial  bool
	lockOS  bool
	limit   int
	onPanic func(*PanicError)

	ctx     context.Context // the parent of every task's context; carries the pprof labels
	labels  pprof.LabelSet
	labeled context.Context // a labelsOnly, see wearLabels
	cancel  context.CancelCauseFunc

	// state counts tasks in flight, with closedBit set once the loop refuses
	// new work and drainedBit once the count reached zero after that.
	state   atomic.Int64
	drained chan struct{}
	born    int64          // wall clock when made, in ns: see foreign
	bg      sync.WaitGroup // the serial runner

	slots     chan struct{} // one token per running task, with Limit
	interrupt bool
	watcher   *watcher // with CancelOnInterrupt

	// Serial loops: a queue the runner goroutine drains in order.
	mu        sync.Mutex
	queue     []job
	wake      chan struct{}
	batch     []job // jobs taken from queue, run from next on; owned by the runner
	next      int
	owner     atomic.Uint64             // id of the goroutine running a job, 0 when idle
	standIn   atomic.Pointer[standIn]   // with LockOSThread, see standIn
	callPools sync.Map                  // see callPool
	lastPool  atomic.Pointer[typedPool] // see callPool
	// With LockOSThread: the queue has jobs (set under mu), and the loop's
	// goroutine is spinning for them (see idleSpin).
	pending, spinning atomic.Bool

	work  atomic.Pointer[workTable] // the work in flight, see track
	clock atomic.Int64              // a recent clock reading, see clockEvery

	closeOnce sync.Once
	closeErr  error
	panicMu   sync.Mutex
	panicked  []*panicRecord
	reportMu  sync.Mutex // held while a panic is reported
}

const (
	closedBit  = 1 << 62
	drainedBit = 1 << 61
	countMask  = drainedBit - 1
)

type loopKey struct{}

// loopIDs numbers loops, for their default names and their id label.
var loopIDs atomic.Uint64

// idLabel is the pprof label that tells loops apart when they share a name.
const idLabel = "synchronicity.loop.id"

// An Option configures a Loop made by [New].
type Option func(*Loop)

// Serial makes a loop that runs all of its work on one goroutine, one piece
// at a time, in submission order: tasks, and the steps of producers and
// context managers run through it. A blocking call made from that goroutine
// runs inline instead of deadlocking. Use it for resources that are not safe
// for concurrent use.
func Serial() Option { return func(l *Loop) { l.serial = true } }

// LockOSThread makes a serial loop whose goroutine is locked to one OS thread
// for the loop's whole life, for C libraries and system calls with
// thread-local state. The thread exits with the loop, taking that state with
// it. It implies [Serial]. A task that calls runtime.Goexit there ends
// only itself: the loop goes on, on the same thread, inside that Goexit,
// which keeps the task's stack (about a kilobyte) until the loop closes; a
// loop meant to survive many Goexits should not be locked.
func LockOSThread() Option { return func(l *Loop) { l.serial, l.lockOS = true, true } }

// Limit bounds how many calls of a concurrent loop ([Call], [Go], [Map]) run
// at once; producers and context managers do not take a turn. Waiting for a
// turn respects the task's context; futures wait on a goroutine of their own,
// so [Go] never blocks. A task that waits for another task of the same loop
// keeps its turn meanwhile, so n tasks all doing that deadlock, as with any
// semaphore. Limit panics if n < 1, and New panics if it is combined with
// Serial, which already runs one task at a time.
func Limit(n int) Option {
	if n < 1 {
		panic("synchronicity.Limit: n must be at least 1, got " + strconv.Itoa(n))
	}
	return func(l *Loop) { l.limit = n }
}

// Name names a loop in pprof labels (key "synchronicity.loop"), goroutine
// dumps and panic reports. Loops are named "loop-N" by default. Names need
// not be unique: the label "synchronicity.loop.id" tells loops apart.
func Name(name string) Option { return func(l *Loop) { l.name = name } }

// OnPanic sets the handler for the loop's panics that nobody observed: a
// future's panic never read through Result, Wait or a combinator, a
// stream's never read through Err, a panic that came after the one a range
// statement re-panicked with. Each such panic reaches the handler once, as
// soon as it is known that nobody will observe it: when its future or
// stream is garbage collected, when nothing could ever hold it, or at
// Close (which also returns those). The handler runs on a goroutine of its
// own, one call at a time per loop, and none after Close has returned; it
// must not close the loop. If it panics, its panic is written to standard
// error with the report it was handling, and later reports still come. A
// panic reported this way has had its observer: Result, Wait, Err and the
// combinators return it afterwards as the error instead of panicking again.
// Without a handler, the loop writes them to standard error, so a panic is
// never silent.
func OnPanic(fn func(*PanicError)) Option {
	if fn == nil {
		panic("synchronicity.OnPanic: nil function")
	}
	return func(l *Loop) { l.onPanic = fn }
}

// CancelOnInterrupt makes the first interrupt signal (SIGINT, Ctrl-C) that
// comes while the loop has work in flight cancel that work with cause
// [ErrInterrupted] and close the loop to new work, so that deferred cleanup
// and context-manager exits run and blocking callers return; every loop
// made with CancelOnInterrupt is closed the same way. The signal is taken
// only while such a loop has work in flight: an interrupt that comes while
// they are all idle, or after the first, does what it would do without
// them, ending the process or reaching the program's own signal.Notify
// channel once (one that comes just as the last work ends may still be
// taken). A program asks for it; the default loop takes no signal, so that
// an application handling interrupts itself keeps them.
func CancelOnInterrupt() Option {
	return func(l *Loop) { l.interrupt = true }
}

// New starts a loop. Close it when done with it: Close cancels its work and
// waits for every goroutine it started.
func New(opts ...Option) *Loop {
	l := &Loop{drained: make(chan struct{}), id: loopIDs.Add(1), born: time.Now().UnixNano()}
	l.clock.Store(now())
	base, cancel := context.WithCancelCause(context.Background())
	// Its channel is made now, where the loop is made, and not by the first
	// task that asks: inside a testing/synctest bubble, that would tie the
	// loop to the bubble.
	base.Done()
	l.cancel = cancel
	for _, o := range opts {
		if o == nil {
			panic("synchronicity.New: nil Option")
		}
		o(l)
	}
	if l.name == "" {
		l.name = "loop-" + strconv.FormatUint(l.id, 10)
	}
	if l.serial && l.limit > 0 {
		panic("synchronicity.New: Limit cannot be combined with Serial, which runs one task at a time")
	}
	l.labels = pprof.Labels("synchronicity.loop", l.name, idLabel, strconv.FormatUint(l.id, 10))
	l.ctx = context.WithValue(pprof.WithLabels(base, l.labels), loopKey{}, l)
	l.labeled = l.labeledCtx()
	if l.limit > 0 {
		l.slots = make(chan struct{}, l.limit)
	}
	if l.serial {
		l.wake = make(chan struct{}, 1)
		l.bg.Add(1)
		go l.serve()
	}
	if l.interrupt {
		l.listen()
	}
	return l
}

// defaultLoop is made with the package: a concurrent loop starts no
// goroutine, and made here it belongs to no testing/synctest bubble, so
// tests may use it inside bubbles and out.
var defaultLoop = New(Name("default"))

// orDefault resolves the loop argument of the package's functions: nil is
// the default loop.
func orDefault(l *Loop) *Loop {
	if l == nil {
		return defaultLoop
	}
	l.mustBeMade()
	return l
}

// mustBeMadeHere panics, naming op, on a nil *Loop, which is the default
// loop and lives as long as the process, and on a Loop not made by New.
func (l *Loop) mustBeMadeHere(op string) {
	if l == nil {
		panic("synchronicity." + op + ": nil *Loop; the default loop lives as long as the process")
	}
	l.mustBeMade()
}

// mustBeMade panics on a Loop not made by New.
func (l *Loop) mustBeMade() {
	if l.ctx == nil {
		panic("synchronicity: use of a zero Loop; make loops with New (or pass nil for the default loop)")
	}
}

// String returns the loop's name; a nil *Loop is the default loop.
func (l *Loop) String() string {
	l = orDefault(l)
	return "synchronicity.Loop(" + l.name + ")"
}

// Context returns a context that is done once the loop closes (cause
// ErrClosed) or is interrupted (cause ErrInterrupted). Every task's context
// derives from it; it carries the loop's pprof labels.
func (l *Loop) Context() context.Context {
	return orDefault(l).ctx
}

// mustNotWaitHere panics if the caller is the goroutine of serial loop l,
// about to wait for l's pending work (op names the wait): that work is
// queued behind the caller and would never run.
func (l *Loop) mustNotWaitHere(op string) {
	if l != nil && l.serial && l.onLoop() {
		panic(fmt.Sprintf("synchronicity.%s: called on the goroutine of %v for its own pending work, which is queued behind the caller and would never run; use Call there, which runs inline, or wait from another goroutine", op, l))
	}
}

// acquire counts a new task in, or reports false once the loop is closed.
func (l *Loop) acquire() bool {
	n := l.state.Add(1)
	if n&closedBit != 0 {
		l.release()
		return false
	}
	if l.interrupt && n == 1 {
		l.busyChanged()
	}
	return true
}

// release counts a task out; the last one out after Close opens drained.
func (l *Loop) release() {
	switch l.state.Add(-1) {
	case closedBit:
		l.tryDrain()
	case 0:
		if l.interrupt {
			l.busyChanged()
		}
	}
}

func (l *Loop) tryDrain() {
	if l.state.CompareAndSwap(closedBit, closedBit|drainedBit) {
		close(l.drained)
		if l.serial {
			l.poke() // serve sees drainedBit and returns
		}
	}
}

// refuse closes the loop to new work; work in flight goes on.
func (l *Loop) refuse() {
	if l.state.Or(closedBit)&countMask == 0 {
		l.tryDrain()
	}
}

// Close closes the loop: new work fails with ErrClosed, the context of all
// work in flight is cancelled with cause ErrClosed, producers are stopped and
// their cleanup runs. Close returns once every goroutine the loop started has
// returned, with the panics of its futures and streams that nobody observed
// and that were not reported before (joined, each a *PanicError); they also
// go to the OnPanic handler, or to standard error. Close is idempotent:
// later calls wait the same way and return the same error.
//
// Close must not be called from the loop's own work, which it would wait
// for for ever. On a serial loop's goroutine — its tasks, the producers and
// managers it steps, and range and Map bodies running there — that is told
// apart exactly, and Close panics at the call, naming the mistake. Elsewhere
// it cannot be told without reading other goroutines' stacks, which this
// package does not do: a Close that has waited 5 seconds for work that does
// not end writes once, to standard error, which work it waits for (the
// entry point, the function and how long it has run), and goes on waiting.
func (l *Loop) Close() error {
	l.mustBeMadeHere("Loop.Close")
	l.mustNotBeOwnWork("Loop.Close")
	l.refuse()
	l.cancel(ErrClosed)
	l.waitDrained("Close", nil)
	l.bg.Wait()
	l.closeOnce.Do(func() {
		if l.interrupt {
			l.unlisten()
		}
		l.closeErr = l.reportPanics()
	})
	return l.closeErr
}

// Shutdown closes the loop to new work and waits until the work in flight
// finishes by itself or ctx is done, then does what Close does. It returns
// Close's error, joined with ctx's error if ctx ended first. Like Close, it
// must not be called from the loop's own work.
func (l *Loop) Shutdown(ctx context.Context) error {
	mustArgs("Loop.Shutdown", ctx, false)
	l.mustBeMadeHere("Loop.Shutdown")
	l.mustNotBeOwnWork("Loop.Shutdown")
	l.refuse()
	var waitErr error
	if !l.waitDrained("Shutdown", ctx.Done()) {
		waitErr = ctx.Err()
	}
	return errors.Join(waitErr, l.Close())
}

// mustNotBeOwnWork panics if the caller is work of l, which a wait for l's
// work to end would wait on for ever. It asks before the loop changes, so
// that the mistake leaves the loop as it was.
func (l *Loop) mustNotBeOwnWork(op string) {
	if l.state.Load()&countMask == 0 {
		return // no work in flight, so none of it is calling
	}
	if l.onLoop() {
		panic(fmt.Sprintf("synchronicity.%s: called from the work of %v, which it waits for: it would never return; call it from outside the loop's work (for instance once the call or future that decided to has returned)", op, l))
	}
}

// under returns a context with ctx's values that is done when ctx is done or
// the loop closes, if that takes no more than a wrapper: ctx never ends by
// itself. Otherwise it returns nil. (A context that merely carries the
// loop's values, as context.WithoutCancel's do, is not under the loop.)
func (l *Loop) under(ctx context.Context) context.Context {
	switch {
	case ctx == context.Background() || ctx == context.TODO():
		return l.ctx
	case ctx.Done() == nil:
		return withLoop{l.ctx, ctx}
	}
	return nil
}

// bind returns the context for one task started from parent: it keeps
// parent's values and is done when parent is done, the loop closes, or the
// returned function is called.
func (l *Loop) bind(parent context.Context) (ctx context.Context, cancel context.CancelCauseFunc) {
	if !l.foreign() {
		return l.bindHere(parent)
	}
	// Made by the loop's goroutine, which runs the work, with its channel.
	parent = l.relay(parent)
	l.outside(func() {
		ctx, cancel = l.bindHere(parent)
		ctx.Done()
	})
	return ctx, cancel
}

func (l *Loop) bindHere(parent context.Context) (context.Context, context.CancelCauseFunc) {
	if p := l.under(parent); p != nil {
		return context.WithCancelCause(p)
	}
	ctx, cancel := context.WithCancelCause(parent)
	stop := context.AfterFunc(l.ctx, func() { cancel(context.Cause(l.ctx)) })
	return ctx, func(err error) { stop(); cancel(err) }
}

// takeSlot waits for a turn on a loop with Limit. It reports false if ctx
// ends first.
func (l *Loop) takeSlot(ctx context.Context) bool {
	if l.slots == nil {
		return true
	}
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	select {
	case l.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *Loop) freeSlot() {
	if l.slots != nil {
		<-l.slots
	}
}

// closedError is the error for work refused by a closed loop.
func (l *Loop) closedError(op string) error {
	if cause := context.Cause(l.ctx); cause != nil && cause != ErrClosed {
		return fmt.Errorf("synchronicity.%s: %w (%w)", op, ErrClosed, cause)
	}
	return fmt.Errorf("synchronicity.%s: %w", op, ErrClosed)
}
