package synchronicity

import (
	"log/slog"
	"strconv"
	"time"
)

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
//
// Every hop to the loop is a hand-over between two OS threads, and a
// thread that sleeps takes microseconds to wake (tens, on some virtual
// machines). So the two sides spin for each other for up to 20µs before
// they sleep: the caller for its reply, and the loop, after a job, for the
// next one. A loop called now and then so burns up to 20µs of CPU after
// each call; one with nothing to do burns none. Neither side spins with
// GOMAXPROCS=1, where a spinner would hold the only processor the other
// side needs, nor, from Go 1.26 on, while other goroutines could fill every
// processor: on a busy process the other side, woken, may be waiting behind
// the spinner. Goroutines waiting on a locked loop are not counted as such
// work: their spins are what keep a busy loop's hand-offs fast. The count
// is the runtime's (runtime/metrics), sampled once per 128 spins.
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
// Without a handler, the loop reports them to its [Logger], or to standard
// error, so a panic is never silent.
func OnPanic(fn func(*PanicError)) Option {
	if fn == nil {
		panic("synchronicity.OnPanic: nil function")
	}
	return func(l *Loop) { l.onPanic = fn }
}

// Logger sends the loop's reports to lg, as records whose message starts
// with "synchronicity: " and whose attributes say what they are about
// ("loop", "work", ...): slow work holding a serial loop ([ReportSlow], at
// level Warn), a Close or Shutdown waiting for work that does not end
// (Warn), and panics nobody observed when the loop has no [OnPanic]
// handler (Error). Without a Logger they are written to standard error as
// text. A report is never a panic, and never silent: if lg panics, its
// panic and the report are written to standard error.
func Logger(lg *slog.Logger) Option {
	if lg == nil {
		panic("synchronicity.Logger: nil *slog.Logger")
	}
	return func(l *Loop) { l.logger = lg }
}

// ReportSlow makes the loop report what takes longer than d, once each:
//
//   - on a serial loop ([Serial], [LockOSThread]), a job that holds its
//     goroutine — the one slow call that every caller behind it waits for:
//     what it is (see [WithName]), how long it has held the loop, how many
//     jobs wait behind it and, with [RecordSites], where it was started. A
//     watch goroutine checks the loop every d/4 while it lives;
//   - on any loop, a Close or Shutdown that waits for work that does not
//     end (by default after 5 seconds): which work, how old and, with
//     RecordSites, where it was started.
//
// The reports go to the [Logger], or to standard error. A serial loop's
// lag, how long jobs wait for its goroutine, is in [Loop.Stats] as
// QueueWait, whether or not ReportSlow is set.
//
// A report of slow work does not show the stack the job is in: this
// package reads no goroutine's stack but the caller's. The loop's goroutine
// carries the pprof label "synchronicity.loop" with the loop's name, so a
// goroutine dump (net/http/pprof's /debug/pprof/goroutine?debug=1) finds
// it. ReportSlow panics if d <= 0.
func ReportSlow(d time.Duration) Option {
	if d <= 0 {
		panic("synchronicity.ReportSlow: d must be positive, got " + d.String())
	}
	return func(l *Loop) { l.slow = d }
}

// RecordSites makes the loop record where each piece of its work was
// started — the caller's stack at the call of [Call], [Go], [Seq],
// [Start], [Map] or [OnLoop]'s Enter — and show it in [PanicError] (field
// Started), in the report of a Close that waits for work that does not
// end, and in [ReportSlow]'s. It costs a runtime.Callers and an allocation
// per piece of work, so it is for debugging: switch it on where a panic or
// a stuck Close has to be traced back to the code that started the work.
func RecordSites() Option { return func(l *Loop) { l.sites = true } }

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

// A SeqOption configures how [Seq], [Start], [Map], [Map2] and [MapIndexed]
// run.
type SeqOption func(*seqConfig)

type seqConfig struct {
	prefetch    int // -1: the form's default
	unordered   bool
	stopOnError bool
}

// Prefetch lets the work run up to n values ahead of its consumer, to
// overlap production with consumption: the producer (or Map's calls) never
// holds more than n values the consumer has not received. By form:
//
//   - [Seq]: the producer runs on a goroutine of its own (on a serial loop,
//     up to n values per step of the loop) and hands values over as they
//     are made, without a channel operation per value. With Prefetch(0),
//     the default, a Seq runs in lockstep with its consumer: the producer
//     makes the next value only when the loop body asks for it, as an
//     iter.Seq does, and a break stops it at the yield it is in.
//   - [Start]: a stream's producer runs on a goroutine of its own and is
//     always at least the one value ahead that waits in its send, so
//     Prefetch(0) and Prefetch(1) both make it unbuffered. It runs 64
//     values ahead without Prefetch.
//   - [Map], [Map2] and [MapIndexed]: up to n calls run at once, and at most n
//     inputs are read ahead of the loop body (Prefetch(0) means one).
//     Without Prefetch, n is the loop's [Limit] if it has one, otherwise
//     runtime.GOMAXPROCS(0). On a serial loop the calls run one at a time
//     whatever n is, and n bounds only the read-ahead.
//
// Prefetch panics if n < 0.
func Prefetch(n int) SeqOption {
	if n < 0 {
		panic("synchronicity.Prefetch: n must not be negative, got " + strconv.Itoa(n))
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
		return seqConfig{prefetch: -1} // without making c escape
	}
	c := seqConfig{prefetch: -1}
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
