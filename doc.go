// Package synchronicity lets a library author write a piece of concurrent Go
// once — a function, a producer of values, a resource with setup and
// teardown — and hand it to users both ways: blocking, for scripts, and
// async, for code that selects on channels and fans out.
//
// # Loops
//
// Everything runs on a [Loop], which owns its lifetime: closing a loop
// cancels its work, waits for every goroutine it started and reports panics
// nobody observed. [Default] is a process-wide loop for scripts; [New] makes
// one for a library or service. A serial loop ([Serial], [LockOSThread]) runs
// all its work on one goroutine, for resources that are not safe for
// concurrent use or that are tied to an OS thread.
//
// A loop is also cheap enough to be the scope of one batch of work, as an
// errgroup.Group is: New(Limit(n)) and a deferred Close bound the batch to
// n calls at once, and cancel and wait for whatever is left when the
// function returns. Making and closing a loop costs about a microsecond and
// a dozen small allocations; with one future started and awaited, about
// twice what errgroup.WithContext, SetLimit, Go and Wait cost
// (BenchmarkBatchLoop).
//
// # Calls and futures
//
// The author writes func(ctx) (T, error). The blocking form is [Call]; the
// async form is [Go], which returns a [Future] whose Done channel works in
// select. [Wrap] exports one function both ways. [All], [Any], [Race] and
// [AsCompleted] combine futures; breaking out of them cancels and waits for
// what they started. [Settle] waits for every future and cancels none,
// returning each one's value and error.
//
// # Producers
//
// The author writes a [Producer], func(ctx, yield func(T) bool) error. [Seq]
// turns it into an iter.Seq2[T, error] for range loops, lockstep by default
// (the producer never runs ahead of the loop body) or running ahead with
// [Prefetch]; [Start] turns it into a [Stream], whose channel works in
// select. [WrapProducer] exports one producer both ways, with options that
// each call may override; [FromSeq] moves any blocking iterator onto a loop.
// Breaking out of a loop stops the producer and its cleanup has run when the
// range statement ends. [Collect] gathers a sequence into a slice, stopping
// at the first error.
//
// # Parallel map
//
// [Map] calls func(ctx, A) (R, error) for each value of an iter.Seq[A], up to
// [Workers] calls at once, and yields the results as an iter.Seq2[R, error]
// in input order, or as they finish with [Unordered]. It never reads more
// than that many inputs ahead of the loop body, so a slow consumer holds back
// the input, and workers hand results over through a ring rather than a
// channel operation per item. An error takes its item's place, or with
// [StopOnError] ends the map. [MapIndexed] pairs each result with the index
// of its input. Breaking out cancels the calls in flight and
// waits for them; a panic in fn re-panics in the ranging goroutine as a
// *[PanicError]. On a serial loop the calls run one at a time, in input
// order, on the loop's goroutine.
//
// # Context managers
//
// A [ContextManager] is a resource with setup and teardown: Enter(ctx)
// returns the value to use, Exit(ctx, err) sees how the body ended — nil,
// its error, or a *[PanicError] — and returns the final error (nil
// suppresses it; a panic always goes on, with its original value). Use one blocking with [Enter] and
// defer exit(&err), as a range loop with [With], with a callback with [Do],
// or several at once with an [ExitStack], which unwinds them in reverse
// order, passing each the error so far. [Scoped] writes a manager as one
// function, like Python's @contextmanager: it sets up, calls yield(v), which
// returns the body's outcome, and tears down; Enter parks it at its yield on
// a goroutine of its own, and Do and With run the body inside the yield at
// the cost of a function call. [OnLoop] runs a manager's Enter and Exit on a loop — on a
// [LockOSThread] loop, on its thread — while the body runs on the caller's
// goroutine; the loop's Close waits for the Exit. [Closing] and [Locking]
// adapt an io.Closer and a sync.Locker.
//
// # Whole types
//
// The command [github.com/synchronicity-go/synchronicity/cmd/syncgen], run
// by go generate, wraps a whole type the way [Wrap] wraps one function:
//
//	//go:generate go run github.com/synchronicity-go/synchronicity/cmd/syncgen -type=conn -name=DB
//
// writes a façade DB, made with NewDB(loop, impl), whose methods have the
// names of *conn's and run them as tasks of the loop: calls blocking,
// producers as iter.Seq2, and DB.Async() returning futures and streams. A
// *conn in arguments and results becomes a *DB, and a conn with Enter and
// Exit makes DB a [ContextManager] whose Enter and Exit run on the loop, as
// with [OnLoop]. On a [Serial] loop a connection that is not safe for
// concurrent use can then be shared by any number of goroutines
// (examples/dbconn does).
//
// # Decisions
//
//   - A function whose context is already done when its turn comes is not
//     called: its call or future gets the context's error.
//   - When a loop closes, work in flight sees its context cancelled with
//     cause [ErrClosed]; an error that is just the context's error is
//     returned wrapped so that errors.Is matches both context.Canceled and
//     ErrClosed (or [ErrInterrupted]).
//   - Panics cross goroutines as *[PanicError], which keeps the stack of the
//     goroutine that panicked. Observing a panicked future (Result, Wait,
//     All, Any, Race, Settle) re-panics. A panic is wrapped where it crosses goroutines: in a task,
//     future, stream, [Map] call, a serial loop's hop (Call, [OnLoop]'s
//     Enter and Exit) or a [Scoped] function parked by [Enter] or [Push],
//     which runs on a goroutine of its own.
//   - Every panic reaches exactly one observer, and none is silent. One
//     that nobody observes goes to the loop's [OnPanic] handler — by default
//     standard error, as asyncio reports an exception never retrieved — as
//     soon as it is known that nobody will: when its future or stream is
//     garbage collected unobserved, when it happened where nothing can hold
//     it (a [Map] call still running after the loop body panicked), or at
//     [Loop.Close], which also returns those. Several panics of one run (a
//     Map's, a Settle's) are joined into one *PanicError. We chose a report
//     over re-panicking on the collector's goroutine, which would end the
//     program at a moment nobody can predict.
//   - A task that calls runtime.Goexit settles with an error saying so; on a
//     serial loop the loop carries on in a fresh goroutine, and a
//     [LockOSThread] loop carries on on its own goroutine and thread, inside
//     the Goexit, so that its thread-local state and the coroutines made on
//     its thread stay valid. A [Map] function that calls it gives its item
//     that error; a Map input that calls it ends the run with an error.
//   - A coroutine ([iter.Pull]) is created, resumed and stopped with the same
//     thread-lock state, whatever goroutine drives the shutdown: a Map's
//     input is stopped by a goroutine like the one that made it, not by a
//     consumer that may be locked to a thread. A [Scoped] function entered
//     with [Enter] or [Push], whose use may go from a locked goroutine to an
//     unlocked one, runs on a goroutine of its own instead; only [OnLoop]
//     on a LockOSThread loop, which enters and exits on the loop's
//     goroutine, runs it as a coroutine there, to keep it on the thread.
//   - A producer's values reach the consumer one by one as they are made,
//     even with [Prefetch]: the hand-off is a ring buffer with one atomic
//     store per value, never held back for a batch to fill, so a producer
//     that pauses between values (a paginated client fetching its next page)
//     never stalls a consumer that could be working.
//   - A stream delivers every value unless it is stopped: by Stop, its
//     context or its loop's Close. Ranging its channel alone (for v := range
//     Start(...).C()) gets every value, and a stream abandoned unread is
//     ended by its context or its loop, never by the garbage collector: the
//     collector's goroutine is in no testing/synctest bubble, and a stream
//     made inside one can be stopped only from inside. Collection still
//     reports a dropped stream's panic, which touches no channel.
//   - [NewPromise]'s settle function reports whether it won: the first
//     settle wins and later ones are ignored, since racing settlers (a
//     callback and a timeout) are normal use, not misuse.
//   - A context's promises hold for a task's: once done, Err and Cause never
//     change, whichever parent ends later. Nothing a call creates outlives
//     it: fn's context is its own, cancelled when the call returns, even
//     when the caller's context can never end.
//   - Waits that can never end fail loudly at the call instead of hanging
//     where that can be told exactly: on a serial loop's goroutine,
//     [Loop.Close] or [Loop.Shutdown], and Result, Wait, All, Any, Race,
//     AsCompleted, Settle or a stream's C, Seq or Stop for the loop's own
//     pending work. Elsewhere a wait of a loop's work for that loop's Close
//     cannot be told without reading other goroutines' stacks, which this
//     package never does: a Close or Shutdown that has waited 5 seconds for
//     work that does not end writes once, to standard error, which work it
//     waits for, and synccheck reports the cases visible in the source.
//     Zero values of Loop, Future and Stream panic, saying what to use.
//   - The default loop takes no process signal: an application that handles
//     Ctrl-C itself keeps it. It is made with the package, starting no
//     goroutine, so that it belongs to no testing/synctest bubble; loops keep
//     no process-wide pools, and a loop's own channels are made by New, so a
//     loop made inside a bubble stays in it and one made outside stays out.
//   - A serial or LockOSThread loop made outside a bubble (a package-level
//     loop, or a façade's) serves work from inside one in every form: its
//     goroutine, being outside, completes only channels and contexts made
//     outside, which it makes itself for such a caller. A wait for it is
//     therefore not durably blocking, as for anything outside the bubble:
//     the bubble's clock stands still while it lasts, so a timeout of the
//     bubble's cannot end it. A serial loop made in one bubble serves only
//     that bubble. What a bubble starts it must end: a context manager
//     entered inside must be exited inside, not from work on the loop.
//   - A serial loop's producers run in a coroutine ([iter.Pull]) stepped by
//     the loop goroutine: on its OS thread, but on a goroutine of their own,
//     so goroutine-identity checks do not hold there; thread checks do.
//   - [Limit] bounds the calls of [Call], [Go] and [Map]; producers and
//     context managers do not take a turn. A task that blocks on another
//     task of the same limited loop (a nested Call, or Result on a sibling)
//     holds its turn while it waits, so with every turn held that way the
//     loop deadlocks, as a semaphore would.
//   - On a serial loop only [Call] (and so [Func.Call]) runs inline when made
//     from the loop's own goroutine. Waiting there for the loop's futures or
//     ranging its streams would wait for work queued behind the waiter, so
//     it panics; use Call, or wait from another goroutine.
//   - A panic that crosses no goroutine goes on with its original value, so
//     a recover that looks for a value (net/http's, for
//     http.ErrAbortHandler) still finds it. That is a body's panic in every
//     form ([Enter]'s exit, [With], [Do], an [ExitStack] unwound by a
//     deferred Unwind), whatever the manager — [OnLoop]'s and [Scoped]'s
//     bodies run on the caller's goroutine too — and the panic of a Scoped
//     function or an Exit run on the caller's goroutine (Scoped under Do and
//     With; an ExitStack's Exits). Exit and a Scoped function's yield still
//     see a body's panic as a *PanicError carrying the body's stack.
//   - A blocking call to a serial loop from a goroutine other than the
//     loop's asks for the caller's goroutine id only when the loop is busy,
//     to tell a reentrant call (run inline) from a foreign one (queued).
package synchronicity
