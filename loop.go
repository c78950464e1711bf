package synchronicity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	callPools sync.Map                  // see callPool
	lastPool  atomic.Pointer[typedPool] // see callPool
	// With LockOSThread: the queue has jobs (set under mu), and the loop's
	// goroutine is spinning for them (see idleSpin).
	pending, spinning atomic.Bool

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
// Close (which also returns those). The handler is called from whatever
// goroutine learns of the panic, one call at a time, and none after Close
// has returned; it must not block or close the loop. A future whose panic
// was reported still re-panics if someone calls Result later. Without a handler, the
// loop writes them to standard error, so a panic is never silent.
func OnPanic(fn func(*PanicError)) Option {
	if fn == nil {
		panic("synchronicity.OnPanic: nil function")
	}
	return func(l *Loop) { l.onPanic = fn }
}

// CancelOnInterrupt makes the first interrupt signal (SIGINT, Ctrl-C) cancel
// all of the loop's work with cause [ErrInterrupted] and close it to new
// work, so that deferred cleanup and context-manager exits run and blocking
// callers return. If the loop has nothing in flight, or on a second
// interrupt, the process is interrupted as usual. A program asks for it;
// the default loop does not take the signal, so that an application
// handling interrupts itself keeps them.
func CancelOnInterrupt() Option {
	return func(l *Loop) { l.interrupt = true }
}

// New starts a loop. Close it when done with it: Close cancels its work and
// waits for every goroutine it started.
func New(opts ...Option) *Loop {
	l := &Loop{drained: make(chan struct{}), id: loopIDs.Add(1)}
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
	l.labeled = labelsOnly{l.ctx, l.ctx.Value(labelKey)}
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

// Default returns the process-wide concurrent loop. It takes no interrupt
// signal: a program that wants Ctrl-C to cancel its work makes its own
// loop with [CancelOnInterrupt]. Closing Default is allowed but final:
// later work on it fails with ErrClosed.
func Default() *Loop { return defaultLoop }

// orDefault resolves the loop argument of the package's functions.
func orDefault(l *Loop) *Loop {
	if l == nil {
		return defaultLoop
	}
	l.mustBeMade()
	return l
}

// mustBeMade panics on a Loop not made by New.
func (l *Loop) mustBeMade() {
	if l.ctx == nil {
		panic("synchronicity: use of a zero Loop; make loops with New (or use Default)")
	}
}

// String returns the loop's name.
func (l *Loop) String() string { return "synchronicity.Loop(" + l.name + ")" }

// Context returns a context that is done once the loop closes (cause
// ErrClosed) or is interrupted (cause ErrInterrupted). Every task's context
// derives from it; it carries the loop's pprof labels.
func (l *Loop) Context() context.Context {
	l.mustBeMade()
	return l.ctx
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
	if l.state.Add(1)&closedBit != 0 {
		l.release()
		return false
	}
	return true
}

// release counts a task out; the last one out after Close opens drained.
func (l *Loop) release() {
	if l.state.Add(-1) == closedBit {
		l.tryDrain()
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
// for for ever. It panics there, saying so, where it can tell: on a serial
// loop from the loop's goroutine (its tasks, and the producers and managers
// it steps), and on a concurrent loop from a call, future, Map function or
// producer of the loop, unless that is inside a call to another loop at
// the time. The body of an [OnLoop] manager, which holds the loop open
// until its Exit, is not told apart.
func (l *Loop) Close() error {
	l.mustBeMade()
	l.mustNotBeOwnWork("Loop.Close")
	l.refuse()
	l.cancel(ErrClosed)
	<-l.drained
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
	l.mustBeMade()
	l.mustNotBeOwnWork("Loop.Shutdown")
	l.refuse()
	var waitErr error
	select {
	case <-l.drained:
	case <-ctx.Done():
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
	if l.onLoop() || !l.serial && l.inOwnTask() {
		panic(fmt.Sprintf("synchronicity.%s: called from the work of %v, which it waits for: it would never return; call it from outside the loop's work (for instance once the call or future that decided to has returned)", op, l))
	}
}

// taskFrames are functions of this package that run a concurrent loop's
// work on the goroutine that calls them.
var taskFrames = []string{"synchronicity.runTask[", "synchronicity.mapCall[", "synchronicity.drive[", "synchronicity.(*ring["}

// inOwnTask reports whether the calling goroutine runs work of concurrent
// loop l. Such work carries l's pprof labels, but a goroutine it started
// inherits them without being its work; so the caller's own stack must also
// run through the package's task frames. Only Close and Shutdown ask, with
// work in flight, and the goroutine profile is read only when the stack
// says it may be so.
func (l *Loop) inOwnTask() bool {
	buf := make([]byte, 64<<10)
	stack := string(buf[:runtime.Stack(buf, false)])
	if !slices.ContainsFunc(taskFrames, func(f string) bool { return strings.Contains(stack, f) }) {
		return false
	}
	var b strings.Builder
	if pprof.Lookup("goroutine").WriteTo(&b, 1) != nil {
		return false
	}
	// Records are separated by blank lines; ours is the one running this
	// function, and its labels line names the loop it works for.
	label := fmt.Sprintf("%q:%q", idLabel, strconv.FormatUint(l.id, 10))
	for _, rec := range strings.Split(b.String(), "\n\n") {
		if strings.Contains(rec, "synchronicity.(*Loop).inOwnTask") && strings.Contains(rec, label) {
			return true
		}
	}
	return false
}

// notePanic records a panic that its future or stream holds until someone
// observes it, so that Close can report it if nobody does.
func (l *Loop) notePanic(p *PanicError) *panicRecord {
	r := &panicRecord{loop: l, pe: p}
	l.panicMu.Lock()
	if len(l.panicked) == cap(l.panicked) {
		// Before growing, forget the panics observed or reported since: a
		// loop that lives long keeps only those Close still owes a report.
		l.panicked = slices.DeleteFunc(l.panicked, (*panicRecord).done)
	}
	l.panicked = append(l.panicked, r)
	l.panicMu.Unlock()
	return r
}

// reportPanics hands every panic nobody observed to the handler and returns
// them joined.
func (l *Loop) reportPanics() error {
	l.panicMu.Lock()
	rs := l.panicked
	l.panicked = nil
	l.panicMu.Unlock()
	var errs []error
	for _, r := range rs {
		if r.report() {
			errs = append(errs, r.pe)
		}
	}
	return errors.Join(errs...)
}

// lost reports a panic that nothing can observe any more.
func (l *Loop) lost(p *PanicError) {
	if p != nil {
		(&panicRecord{loop: l, pe: p}).report()
	}
}

// panicOutput is where loops without an OnPanic handler write the panics
// nobody observed, one report at a time.
var panicOutput = struct {
	sync.Mutex
	w io.Writer
}{w: os.Stderr}

// setPanicOutput makes w panicOutput's writer and returns the one before.
func setPanicOutput(w io.Writer) io.Writer {
	panicOutput.Lock()
	defer panicOutput.Unlock()
	old := panicOutput.w
	panicOutput.w = w
	return old
}

// A panicRecord is one panic and whether it has reached its one observer:
// whoever re-panics with it, or else the loop's handler.
type panicRecord struct {
	loop *Loop
	pe   *PanicError
	seen atomic.Bool
}

// observe marks the panic as observed by its owner and returns it.
func (r *panicRecord) observe() *PanicError {
	r.seen.Store(true)
	return r.pe
}

func (r *panicRecord) done() bool { return r.seen.Load() }

// report hands the panic to the loop's handler, unless it has reached an
// observer already, and reports whether it did.
func (r *panicRecord) report() bool {
	// One report at a time per loop, so that Close, reporting what is left,
	// returns only after a report a collector began has been made.
	r.loop.reportMu.Lock()
	defer r.loop.reportMu.Unlock()
	if r.seen.Swap(true) {
		return false
	}
	if h := r.loop.onPanic; h != nil {
		h(r.pe)
	} else {
		panicOutput.Lock()
		fmt.Fprintf(panicOutput.w, "synchronicity: %v: a panic nobody observed\n%v\n", r.loop, r.pe)
		panicOutput.Unlock()
	}
	return true
}

// A collector is told when the handle it watches has become unreachable
// (see whenCollected).
type collector interface{ collected() }

// collected is called once the future or stream holding the panic is
// unreachable: nobody can observe it any more.
func (r *panicRecord) collected() { r.report() }

// interrupts routes the process's first SIGINT to every loop made with
// CancelOnInterrupt. One watcher serves them all, so a loop with nothing to
// cancel cannot end the process while another one is still cleaning up.
var interrupts struct {
	mu      sync.Mutex
	current *watcher // nil when no loop is listening
}

type watcher struct {
	sig   chan os.Signal
	stop  chan struct{} // closed when the last loop leaves
	done  chan struct{} // closed when watchInterrupts has returned
	loops map[*Loop]struct{}
}

// listen adds l to the loops the first interrupt cancels. The subscription
// is in place when it returns, so no interrupt slips past a new loop.
func (l *Loop) listen() {
	interrupts.mu.Lock()
	defer interrupts.mu.Unlock()
	w := interrupts.current
	if w == nil {
		w = &watcher{sig: make(chan os.Signal, 1), stop: make(chan struct{}), done: make(chan struct{}), loops: map[*Loop]struct{}{}}
		signal.Notify(w.sig, os.Interrupt)
		interrupts.current = w
		go watchInterrupts(w)
	}
	w.loops[l] = struct{}{}
	l.watcher = w
}

// unlisten takes a closing loop out, and waits for the watcher to return if
// it was the last loop or the interrupt has come.
func (l *Loop) unlisten() {
	interrupts.mu.Lock()
	w := l.watcher
	if _, ok := w.loops[l]; ok {
		delete(w.loops, l)
		if len(w.loops) > 0 {
			interrupts.mu.Unlock()
			return
		}
		signal.Stop(w.sig)
		close(w.stop)
		if interrupts.current == w {
			interrupts.current = nil
		}
	}
	interrupts.mu.Unlock()
	<-w.done
}

// watchInterrupts waits for the interrupt and cancels every listening loop's
// work. If none had work in flight, it lets the process see the interrupt it
// would have seen without them.
func watchInterrupts(w *watcher) {
	defer close(w.done)
	select {
	case <-w.sig:
	case <-w.stop:
		return
	}
	interrupts.mu.Lock()
	signal.Stop(w.sig) // from here on an interrupt ends the process as usual
	loops := w.loops
	w.loops = nil
	if interrupts.current == w {
		interrupts.current = nil
	}
	interrupts.mu.Unlock()
	busy := false
	for l := range loops {
		busy = busy || l.state.Load()&countMask != 0
		l.refuse()
		l.cancel(ErrInterrupted)
	}
	if !busy {
		if p, err := os.FindProcess(os.Getpid()); err != nil || p.Signal(os.Interrupt) != nil {
			os.Exit(130)
		}
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
func (l *Loop) bind(parent context.Context) (context.Context, context.CancelCauseFunc) {
	if p := l.under(parent); p != nil {
		return context.WithCancelCause(p)
	}
	ctx, cancel := context.WithCancelCause(parent)
	stop := context.AfterFunc(l.ctx, func() { cancel(context.Cause(l.ctx)) })
	return ctx, func(err error) { stop(); cancel(err) }
}

// withLoop gives a parent context that is never cancelled the loop's
// cancellation, keeping the parent's values. Because Done and the context
// package's internal lookups resolve to the loop's own cancelCtx, contexts
// derived from it register with the loop's context directly: no goroutine.
type withLoop struct {
	context.Context // the loop's
	values          context.Context
}

func (c withLoop) Value(key any) any {
	if key == labelKey {
		return c.Context.Value(loopKey{}).(*Loop).labelsOver(c.values)
	}
	if v := c.values.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}

// labelsOver returns what a context answers for pprof's label key that has
// ctx's labels and the loop's: work of the loop carries them, also where a
// profiled goroutine sets its labels from a task's context (pprof.Do, or
// a nested call restoring them when it returns).
func (l *Loop) labelsOver(ctx context.Context) any {
	return pprof.WithLabels(ctx, l.labels).Value(labelKey)
}

// wearLabels gives the current goroutine the loop's pprof labels, as work
// of the loop.
func (l *Loop) wearLabels() { pprof.SetGoroutineLabels(l.labeled) }

// labelsOnly answers every lookup with the loop's pprof labels: a goroutine
// that starts a task takes them in one step, where a search through the
// loop's context would compare keys at each of its layers.
type labelsOnly struct {
	context.Context
	labels any
}

func (c labelsOnly) Value(any) any { return c.labels }

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

// goid returns the current goroutine's id, parsed from its stack header
// ("goroutine 18 [running]:").
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = b[len("goroutine "):]
	var id uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
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
