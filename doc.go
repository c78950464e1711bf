// Package synchronicity lets the author of a piece of concurrent Go — a
// function, a producer of values, a resource with setup and teardown —
// write it once and hand it to users both ways: blocking, for straight-line
// code, and async, for code that selects on channels and fans out.
//
// # Loops
//
// All work runs on a [Loop], which owns its lifetime. [New] makes one;
// [Loop.Close] cancels what is still running, waits for every goroutine the
// loop started and returns the panics nobody observed. Everywhere a loop is
// asked for, nil means the default loop, which lives as long as the process.
//
// A loop is concurrent by default. [Limit](n) lets at most n calls run at
// once, which makes a loop the scope of one batch of work, as an errgroup
// is. [Serial] runs all of a loop's work on one goroutine, for a resource
// that is not safe for concurrent use; [LockOSThread] also keeps that
// goroutine on one OS thread, for one tied to a thread (a GUI or GL context,
// a C library with thread-local state).
//
// # Calls and futures
//
// The author writes func(ctx) (T, error). [Call] runs it and waits; [Go]
// starts it and returns a [Future], whose Done channel works in select.
// [Wrap] exports a function with an argument both ways. [All], [Any],
// [AsCompleted] and [Settle] wait for several futures.
//
// # Sequences
//
// The author writes a [Producer], func(ctx, yield func(T) bool) error. [Seq]
// makes it an iter.Seq2[T, error] for a range loop, and [Start] a [Stream]
// whose channel works in select. [Map] calls a function for each value of a
// sequence, several at once, and yields the results in order; [Map2] takes
// what Seq, a Stream or another Map yields, and [MapIndexed] keeps each
// result beside its input's index. [Prefetch] says how far each form may
// run ahead of its consumer.
//
// # Context managers
//
// A [ContextManager] is a resource with setup and teardown: Enter(ctx)
// returns the value to use, and Exit(ctx, err) sees how the body ended and
// returns the final error, so that a transaction can commit or roll back.
// Use one with [Enter] and a deferred exit, with [Do] and a callback, or
// several with an [ExitStack]. [Scoped] writes a manager as one function
// with a yield in the middle; [OnLoop] runs a manager's Enter and Exit on a
// loop's goroutine; [Closing] adapts an io.Closer.
//
// The command [github.com/synchronicity-go/synchronicity/cmd/syncgen] does
// for a whole type what Wrap does for one function: it writes a façade whose
// methods run the type's methods on a loop, blocking and async.
//
// # Seeing the work
//
// A loop shows what it is doing. Work is known by its function's name, or
// by the one its context was given with [WithName]. [Loop.Stats] counts the
// work started and ended by outcome, in flight and waiting for a turn, with
// histograms of queue wait and run time. While an execution trace is
// recorded (runtime/trace), each piece of work is a trace task named after
// its loop, entry point and work, with regions for its wait for a turn and
// its run. The loop's reports — a job holding a serial loop's goroutine
// ([ReportSlow]), a Close waiting for work that does not end, a panic
// nobody observed — go to its [Logger], or to standard error; with
// [RecordSites] they, and [PanicError], say where the work was started.
// None of it costs more than a few loads of flags while nobody looks, and
// nothing in it reads another goroutine's stack.
//
// # Rules
//
// Programs that use this package should follow these rules; the analyzer
// [github.com/synchronicity-go/synchronicity/analysis/synccheck] reports the
// breaches it can see in the source.
//
// Close every loop you make, once its work is done: defer l.Close() where it
// is made. Never close a loop from its own work — a function or producer it
// runs, or the body of a range over its sequences — for Close waits for that
// work. On a serial loop's goroutine that mistake panics at the call;
// elsewhere a Close that has waited 5 seconds reports which work it waits
// for, to the loop's [Logger] or standard error.
//
// Range over a sequence with two variables and check the error: it comes
// last, after the values. Breaking out of the loop stops the producer, and
// its cleanup has run when the range statement ends.
//
// Keep every future and stream you start and read its outcome — Result,
// Wait, a combinator, or a stream's Stop. Defer an exit function of Enter
// with the address of a named error result: defer exit(&err).
//
// Work cut short matches context.Canceled with errors.Is, whichever of
// ctx.Err() and context.Cause(ctx) the code in between reported; work cut
// short by Close also matches [ErrClosed], and by an interrupt
// [ErrInterrupted].
//
// A panic in work that runs on another goroutine reaches the goroutine that
// observes the work's outcome as a *[PanicError], which keeps the stack
// where it happened; a panic nobody observes goes to the loop's [OnPanic]
// handler, or else its [Logger] or standard error, as soon as it is known
// that nobody will.
// Every panic reaches exactly one of them.
//
// On a serial loop's goroutine, a blocking [Call] to the same loop runs
// inline, and so does a future of the loop's that is waited for there and
// has not started: it runs at the wait, ahead of work queued before it.
// So do the steps of a stream of the loop's ranged there with Seq or
// stopped there; receiving from its channel there, which the package
// cannot drive, panics at the call.
//
// A loop made inside a testing/synctest bubble belongs to it; a serial loop
// made outside (a package-level one) serves bubbles too, but waits for it
// are not durably blocking. What a bubble starts it must end: a stream read
// in a bubble is stopped there, and a manager entered there is exited there.
//
// The examples show each entry point at work; the repository's
// docs/decisions.md says why the package behaves as it does where a choice
// had to be made.
package synchronicity
