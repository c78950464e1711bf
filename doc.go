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
// # Calls and futures
//
// The author writes func(ctx) (T, error). The blocking form is [Call]; the
// async form is [Go], which returns a [Future] whose Done channel works in
// select. [Wrap] exports one function both ways. [All], [Any], [Race] and
// [AsCompleted] combine futures; breaking out of them cancels and waits for
// what they started.
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
//     All, Any, Race) re-panics; an unobserved one is returned by Close.
//   - A task that calls runtime.Goexit settles with an error saying so; on a
//     serial loop the loop carries on in a fresh goroutine.
//   - [NewPromise]'s settle function reports whether it won: the first
//     settle wins and later ones are ignored.
package synchronicity
