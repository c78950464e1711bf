package synchronicity

import (
	"context"
	"errors"
	"log/slog"
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
	logger  *slog.Logger  // where reports go, if not standard error
	sites   bool          // RecordSites
	slow    time.Duration // ReportSlow's threshold

	ctx     context.Context // the parent of every task's context; carries the pprof labels
	labels  pprof.LabelSet
	labeled context.Context // a labelsOnly, see wearLabels
	cancel  context.CancelCauseFunc

	// What each call writes, a cache line's width from any other field
	// (wherever the line boundaries fall): state counts tasks in flight,
	// with closedBit set once the loop refuses new work and drainedBit once
	// the count reached zero after that; a serial loop's queue and the flag
	// of its goroutine's wait for it.
	_     [64]byte
	state atomic.Int64
	queue jobQueue
	idle  waiter // a serial loop's goroutine waits for a job on wake
	_     [64]byte

	drained chan struct{}
	born    int64          // wall clock when made, in ns: see foreign
	bg      sync.WaitGroup // the serial runner

	slots     chan struct{} // one token per running task, with Limit
	interrupt bool
	watcher   *watcher // with CancelOnInterrupt

	// Serial loops: what the runner goroutine owns, apart from what
	// callers read.
	_         [64]byte
	batch     []job // jobs taken from queue, run from next on
	next      int
	ran       atomic.Int64 // jobs taken from the queue; Stats reads it
	_         [64]byte
	wake      chan struct{}
	owner     atomic.Uint64             // id of the goroutine running the loop's jobs; see runQueue
	standIn   atomic.Pointer[standIn]   // with LockOSThread, see standIn
	callPools sync.Map                  // see callPool
	lastPool  atomic.Pointer[typedPool] // see callPool
	replies   sync.Pool                 // see replyChan
	// With LockOSThread: callers waiting for the loop; see crowded.
	callers atomic.Int32

	work    atomic.Pointer[workTable] // the work in flight, see track
	clock   atomic.Int64              // a recent clock reading, see clockEvery
	waiting atomic.Int64              // calls waiting for a turn under Limit
	timing  timing                    // the durations Stats shows
	holding holding                   // what the serial goroutine runs, with ReportSlow

	closeOnce sync.Once
	closeErr  error
	panicMu   sync.Mutex
	panicked  []*panicRecord
	reportMu  sync.Mutex // held while a panic is reported
}

type loopKey struct{}

// loopIDs numbers loops, for their default names and their id label.
var loopIDs atomic.Uint64

// idLabel is the pprof label that tells loops apart when they share a name.
const idLabel = "synchronicity.loop.id"

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
		if l.slow > 0 { // see ReportSlow
			l.bg.Add(1)
			go l.watchSlow()
		}
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

// Close closes the loop: new work fails with ErrClosed, the context of all
// work in flight is cancelled with cause ErrClosed, producers are stopped and
// their cleanup runs. Close returns once every goroutine the loop started has
// returned, with the panics of its futures and streams that nobody observed
// and that were not reported before (joined, each a *PanicError); they also
// go to the OnPanic handler, or else the Logger or standard error. Close is
// idempotent: later calls wait the same way and return the same error.
//
// Close must not be called from the loop's own work, which it would wait
// for for ever. On a serial loop's goroutine — its tasks, the producers and
// managers it steps, and range and Map bodies running there — that is told
// apart exactly, and Close panics at the call, naming the mistake. Elsewhere
// it cannot be told without reading other goroutines' stacks, which this
// package does not do: a Close that has waited 5 seconds (or [ReportSlow]'s
// threshold) for work that does not end reports once, to the [Logger] or
// standard error, which work it waits for (the entry point, the name and
// how long it has run), and goes on waiting.
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
