// Package synccheck defines an analyzer that reports misuses of the
// synchronicity package that compile but lose errors or work.
//
// # Analyzer synccheck
//
// synccheck: report misuses of the synchronicity package that lose errors or work
//
// It reports:
//
//   - defer exit(&x), where exit is the exit function of
//     synchronicity.Enter and x is not a named result of the function that
//     defers it. The function's return statements do not assign x, so Exit
//     sees nil (or a stale error) and a transaction whose body failed
//     commits. Name the error result and defer exit(&err) with it.
//   - An exit function of Enter that is dropped: assigned to _, never used,
//     or the whole Enter call used as a statement. Exit never runs.
//   - An exit function of Enter that some path from the Enter to a return
//     never calls, defers or passes on: an early return between Enter and
//     defer exit(&err), or an exit(&err) without defer that an early return
//     skips. Paths on which Enter's own error is not nil need no exit. As
//     the lostcancel pass does, it reports the Enter and the return.
//   - An exit function of Enter called inside a deferred function literal,
//     defer func() { exit(&err) }(): a panic in the body never reaches Exit,
//     since recover works only in the deferred function itself.
//   - A range over a call that returns an iter.Seq2[T, error] (Seq, Map,
//     Stream.Seq, a syncgen façade's producer, ...) with one variable, or
//     none: the producer's error is dropped and arrives as a zero value that
//     looks like an item. Range with two variables and check the error.
//   - A call that returns a *Future or a *Stream (Go, Func.Go, Start, a
//     façade's Async methods, ...) used as an expression statement: the work
//     starts and nobody reads its outcome.
//   - l.Close() or l.Shutdown(ctx) inside work handed to the same loop l: a
//     function literal given to Call, Go, Wrap, Map, Map2 or MapIndexed, a
//     producer given to Seq or Start, a Scoped function given to OnLoop,
//     the body of Do on an OnLoop manager, or the body of a range over the
//     loop's Seq or Map. Close
//     waits for that work, which is waiting for Close: it never returns.
//     Close the loop once the work has returned. A closure that the work
//     calls counts; one it starts with go, hands to other code or stores
//     does not, nor a loop the work assigns before closing it.
//
// Passing an exit function, future or sequence on (returning it, storing
// it, handing it to All) is not reported: the code that receives it is
// responsible for it.
package synccheck
