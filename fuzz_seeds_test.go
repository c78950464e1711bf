package synchronicity_test

// The seed corpus of FuzzSchedule: every kind of loop and every family of
// operations, with errors, panics and Goexit injected, stops and closes.
// It runs in every go test.
var fzSeeds = []fzScenario{
	// Calls and futures.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzCall}, {Kind: fzCall, Var: fzViaWrap, Fault: fzErr}, {Kind: fzGo, Fault: fzPanic}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzCall, Fault: fzPanic}, {Kind: fzGo, Var: fzWait}, {Kind: fzGo, Var: fzDrop, Fault: fzPanic}}},
	{Loop: fzLocked, OnPanic: true, Ops: []fzOp{{Kind: fzCall}, {Kind: fzGo, Var: fzDrop, Fault: fzPanic}, {Kind: fzGo, Var: fzDone | fzViaWrap}}},
	{Loop: fzLimited, Limit: 1, Ops: []fzOp{{Kind: fzGo, Async: true}, {Kind: fzCall}, {Kind: fzGo, Var: fzDrop, Fault: fzErr}, {Kind: fzCall, Fault: fzPanic}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzGo, Slow: true, Stop: fzCancelFuture}, {Kind: fzCall, Slow: true, Stop: fzCancelAsync}, {Kind: fzGo, Stop: fzCancelBefore}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzGo, Async: true, Slow: true, Stop: fzCancelAsync}, {Kind: fzCall}, {Kind: fzGo, Var: fzDrop}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzCall, Fault: fzGoexit}, {Kind: fzGo, Fault: fzGoexit}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzCall, Fault: fzGoexit}, {Kind: fzGo, Fault: fzGoexit, Var: fzWait}, {Kind: fzCall}}},

	// Fan-out.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzFan, N: 4, Var: fzAll}, {Kind: fzFan, N: 3, Var: fzAll, Fault: fzPanic, At: 1, Repeat: true}}},
	{Loop: fzLimited, Limit: 2, Ops: []fzOp{{Kind: fzFan, N: 4, Var: fzAll}, {Kind: fzFan, N: 3, Var: fzAsCompleted, Fault: fzErr, At: 1}}},
	{Loop: fzConcurrent, OnPanic: true, Ops: []fzOp{{Kind: fzFan, N: 4, Var: fzAny, Fault: fzErr, At: 0}, {Kind: fzFan, N: 3, Var: fzRace, Fault: fzPanic, At: 2}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzFan, N: 4, Var: fzAsCompleted, Stop: fzBreak, At: 1}, {Kind: fzFan, N: 2, Var: fzAll, Fault: fzErr, Stop: fzCancelFuture}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzFan, N: 4, Var: fzAsCompleted, Fault: fzGoexit, At: 1}, {Kind: fzFan, N: 3, Var: fzAny, Stop: fzCancelAt}}},

	// Producers: lockstep, prefetch, streams.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzSeq, N: 5}, {Kind: fzSeq, N: 6, Var: 2, Stop: fzBreak, At: 1}, {Kind: fzSeq, N: 4, Fault: fzErr, Site: fzSource, At: 2}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzSeq, N: 7, Var: 3}, {Kind: fzSeq, N: 5, Fault: fzPanic, Site: fzSource, At: 1}, {Kind: fzSeq, N: 3, Fault: fzPanic, Site: fzBody, At: 0}}},
	{Loop: fzLocked, Ops: []fzOp{{Kind: fzSeq, N: 4, Var: fzViaWrap, Stop: fzBreak, At: 2}, {Kind: fzSeq, N: 5, Var: 1, Fault: fzGoexit, Site: fzBody, At: 1}}},
	{Loop: fzLimited, Limit: 1, Ops: []fzOp{{Kind: fzSeq, N: 6, Var: 1, Fault: fzGoexit, Site: fzSource, At: 1}, {Kind: fzSeq, N: 3, Stop: fzCancelAt, At: 0}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzSeq, N: 4, Fault: fzGoexit, Site: fzSource, At: 2}, {Kind: fzSeq, N: 4, Var: 2, Fault: fzGoexit, Site: fzSource, At: 0}, {Kind: fzCall}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzStart, N: 6, Var: fzDrain}, {Kind: fzStart, N: 5, Var: fzRangeSeq | fzPrefetch(2), Stop: fzBreak, At: 1}, {Kind: fzStart, N: 4, Var: fzDrain, Stop: fzCancelFuture, At: 1}}},
	{Loop: fzSerial, OnPanic: true, Ops: []fzOp{{Kind: fzStart, N: 5, Var: fzAbandon, Fault: fzPanic, Site: fzSource, At: 2}, {Kind: fzStart, N: 7, Var: fzDrain | fzPrefetch(1)}, {Kind: fzStart, N: 3, Var: fzRangeSeq, Fault: fzPanic, Site: fzSource, At: 1}}},
	{Loop: fzLocked, Ops: []fzOp{{Kind: fzStart, N: 4, Var: fzDrain, Fault: fzErr, Site: fzSource, At: 1}, {Kind: fzStart, N: 6, Var: fzAbandon}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzStart, N: 5, Var: fzRangeSeq, Fault: fzGoexit, Site: fzSource, At: 1}, {Kind: fzStart, N: 4, Var: fzDrain, Slow: true, Stop: fzCancelAsync}}},

	// Map.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzMap, N: 7}, {Kind: fzMap, N: 6, Var: fzUnordered | fzWorkers(2)}, {Kind: fzMap, N: 5, Var: fzWorkers(1), Fault: fzErr, At: 1}}},
	{Loop: fzLimited, Limit: 2, Ops: []fzOp{{Kind: fzMap, N: 7, Var: fzStopOnError | fzWorkers(3), Fault: fzErr, At: 1}, {Kind: fzMap, N: 4, Stop: fzBreak, At: 1}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzMap, N: 6, Var: fzWorkers(2)}, {Kind: fzMap, N: 5, Fault: fzPanic, At: 2}, {Kind: fzMap, N: 4, Fault: fzErr, Site: fzSource, At: 1}}},
	{Loop: fzLocked, Ops: []fzOp{{Kind: fzMap, N: 5, Var: fzUnordered | fzStopOnError, Fault: fzErr, At: 0}, {Kind: fzMap, N: 3, Fault: fzPanic, Site: fzBody, At: 1}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzMap, N: 6, Var: fzWorkers(3), Stop: fzCancelAt, At: 1}, {Kind: fzMap, N: 5, Fault: fzGoexit, Site: fzBody, At: 2}}},

	// Context managers.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzEnter, Var: fzPlain, Fault: fzErr, Site: fzBody}, {Kind: fzDo, Var: fzScoped, Fault: fzPanic, Site: fzBody}, {Kind: fzPush, Var: fzPlain, Stop: fzBreak}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzEnter, Var: fzOnLoop, Fault: fzPanic, Site: fzExitS}, {Kind: fzDo, Var: fzOnLoopScoped, Fault: fzErr, Site: fzEnterS}, {Kind: fzPush, Var: fzOnLoopScoped, Fault: fzPanic, Site: fzBody}}},
	{Loop: fzLocked, Ops: []fzOp{{Kind: fzEnter, Var: fzOnLoopScoped}, {Kind: fzDo, Var: fzOnLoop, Fault: fzErr, Site: fzExitS}, {Kind: fzPush, Var: fzScoped, Fault: fzGoexit, Site: fzBody}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzEnter, Var: fzScoped, Fault: fzGoexit, Site: fzBody}, {Kind: fzDo, Var: fzPlain, Fault: fzGoexit, Site: fzExitS}, {Kind: fzPush, Var: fzOnLoop, Fault: fzGoexit, Site: fzEnterS}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzStack, Var: fzPlain | fzSecond(fzOnLoop), Fault: fzPanic, Site: fzBody}, {Kind: fzStack, Var: fzScoped | fzSecond(fzOnLoopScoped) | fzUnwind, Fault: fzErr, Site: fzEnterS, At: 1}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzStack, Var: fzOnLoop | fzSecond(fzScoped) | fzUnwind, Fault: fzPanic, Site: fzExitS, At: 0}, {Kind: fzStack, Var: fzPlain, Fault: fzErr, Site: fzExitS, Repeat: true}}},
	{Loop: fzLimited, Limit: 1, Ops: []fzOp{{Kind: fzDo, Var: fzOnLoop, Fault: fzErr, Site: fzExitS}, {Kind: fzEnter, Var: fzOnLoopScoped, Fault: fzPanic, Site: fzBody}}},
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzDo, Var: fzOnLoop, Slow: true, Stop: fzCancelAsync}, {Kind: fzEnter, Var: fzOnLoopScoped, Stop: fzCancelAt}}},
	// Uses that cross between a task of a LockOSThread loop and a goroutine
	// not locked to a thread.
	{Loop: fzLocked, Ops: []fzOp{{Kind: fzEnter, Var: fzScoped | fzCross, Fault: fzErr, Site: fzBody}, {Kind: fzStack, Var: fzScoped | fzSecond(fzOnLoopScoped) | fzCross, Fault: fzPanic, Site: fzExitS, At: 0}, {Kind: fzEnter, Var: fzOnLoopScoped | fzCross, Fault: fzPanic, Site: fzEnterS}}},
	{Loop: fzLocked, Close: fzCloseConcurrent, CloseAt: 1, Ops: []fzOp{{Kind: fzStack, Var: fzOnLoop | fzSecond(fzScoped) | fzCross, Async: true, Fault: fzGoexit, Site: fzExitS, At: 1}, {Kind: fzEnter, Var: fzScoped | fzCross, Fault: fzGoexit, Site: fzExitS}}},

	// Nested calls into the loop.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzNested, Var: fzInCall}, {Kind: fzNested, N: 4, Var: fzInGo, Fault: fzPanic, Site: fzSource}, {Kind: fzNested, N: 5, Var: fzInMap, Stop: fzBreak, At: 1}}},
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzNested, Var: fzInCall, Fault: fzErr, Site: fzSource}, {Kind: fzNested, N: 4, Var: fzInSeq, Stop: fzBreak, At: 1}, {Kind: fzNested, N: 5, Var: fzInMap, Fault: fzPanic, Site: fzTask}}},
	{Loop: fzLocked, Ops: []fzOp{{Kind: fzNested, N: 3, Var: fzInSeq}, {Kind: fzNested, N: 4, Var: fzInMap}}},
	{Loop: fzLimited, Limit: 2, Ops: []fzOp{{Kind: fzNested, N: 4, Var: fzInSeq, Fault: fzPanic, Site: fzSource, At: 1}, {Kind: fzNested, N: 4, Var: fzInForeignMap, Fault: fzErr, Site: fzSource, At: 2}}},

	// Close and Shutdown while work is in flight.
	{Loop: fzConcurrent, Close: fzCloseConcurrent, CloseAt: 1, Ops: []fzOp{{Kind: fzSeq, N: 7, Async: true}, {Kind: fzMap, N: 6, Async: true}, {Kind: fzStart, N: 5, Var: fzDrain}}},
	{Loop: fzSerial, Close: fzShutdownConcurrent, CloseAt: 1, Ops: []fzOp{{Kind: fzGo, Async: true}, {Kind: fzSeq, N: 5, Var: 2, Async: true}, {Kind: fzDo, Var: fzOnLoopScoped}}},
	{Loop: fzLocked, Close: fzCloseBetween, CloseAt: 1, Ops: []fzOp{{Kind: fzStart, N: 5, Var: fzAbandon}, {Kind: fzCall}, {Kind: fzMap, N: 3}}},
	{Loop: fzLimited, Limit: 3, Close: fzShutdownDone, CloseAt: 2, OnPanic: true, Ops: []fzOp{{Kind: fzFan, N: 4, Var: fzAll, Async: true}, {Kind: fzGo, Var: fzDrop, Fault: fzPanic}, {Kind: fzEnter, Var: fzOnLoop}}},
	{Loop: fzConcurrent, Close: fzCloseInFlight, Ops: []fzOp{{Kind: fzGo, Async: true, Slow: true, Stop: fzCancelAsync}, {Kind: fzStart, N: 7, Async: true, Var: fzRangeSeq}, {Kind: fzPush, Var: fzOnLoopScoped, Async: true}}},
	{Loop: fzSerial, Close: fzCloseInFlight, Seed: 3, Ops: []fzOp{{Kind: fzMap, N: 7, Async: true, Var: fzUnordered}, {Kind: fzStack, Async: true, Var: fzOnLoop | fzSecond(fzOnLoopScoped)}, {Kind: fzSeq, N: 6, Async: true, Var: 3}}},
}

// fzRegressions are schedules that once broke the library, each with what
// it did then; they run in every go test with the rest of the corpus.
var fzRegressions = []fzScenario{
	// A task's ctx changes its Cause once done: the loop closed first
	// (Cause ErrClosed), then Call's own cancel made it context.Canceled.
	{Loop: fzSerial, Close: fzCloseConcurrent, CloseAt: 1, Ops: []fzOp{{Kind: fzGo, Async: true, Slow: true, Stop: fzCancelAsync}, {Kind: fzCall}, {Kind: fzGo, Var: fzDrop}}},
	// Limit leaks a turn when ctx is done at the turn: the third call waits for ever.
	{Loop: fzLimited, Limit: 1, Ops: []fzOp{{Kind: fzCall, Stop: fzCancelBefore}, {Kind: fzGo, Stop: fzCancelBefore}, {Kind: fzCall}}},
	// The same, by a cancel from another goroutine that the turn sees
	// (now and then).
	{Loop: fzLimited, Limit: 1, Ops: []fzOp{{Kind: fzDo, Var: fzOnLoop, Stop: fzCancelAsync}, {Kind: fzFan, N: 4, Var: fzRace}, {Kind: fzEnter, Var: fzOnLoopScoped}}},
	// Map's input calling Goexit: nothing reads the input again; a hang.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzMap, N: 5, Fault: fzGoexit, Site: fzSource, At: 1}}},
	// Map's function calling Goexit: now and then the consumer parks for ever.
	{Loop: fzConcurrent, Ops: []fzOp{
		{Kind: fzMap, N: 7, Var: fzWorkers(1), Fault: fzGoexit, Site: fzTask, At: 0}, {Kind: fzMap, N: 7, Var: fzWorkers(1), Fault: fzGoexit, Site: fzTask, At: 1},
		{Kind: fzMap, N: 7, Var: fzWorkers(1), Fault: fzGoexit, Site: fzTask, At: 0}, {Kind: fzMap, N: 6, Var: fzWorkers(2), Fault: fzGoexit, Site: fzTask, At: 1},
		{Kind: fzMap, N: 7, Var: fzWorkers(1), Fault: fzGoexit, Site: fzTask, At: 0}, {Kind: fzMap, N: 7, Var: fzWorkers(1), Fault: fzGoexit, Site: fzTask, At: 1},
	}},
	// Map drops the panic of a call still in flight when the body breaks.
	{Loop: fzConcurrent, Seed: 1, Ops: []fzOp{{Kind: fzMap, N: 6, Var: fzWorkers(3), Fault: fzPanic, Site: fzTask, At: 1, Repeat: true, Stop: fzBreak}}},
	// Ranging Start(...).C() without keeping the *Stream loses values once
	// the handle is collected.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzStart, N: 7, Var: fzDropped | fzPrefetch(1)}}},
	// An Exit that calls Goexit while an ExitStack unwinds skips the rest
	// of the stack: the first manager's Exit and the deferred function
	// never run.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzStack, Var: fzPlain | fzSecond(fzPlain) | fzUnwind, Fault: fzGoexit, Site: fzExitS, At: 1}}},
	// Close from the loop's own work hangs.
	{Loop: fzConcurrent, Ops: []fzOp{{Kind: fzNested, Var: fzInClose}}},
	// Shutdown from a serial loop's own work hangs.
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzNested, Var: fzInShutdown}}},
	// A future's Result waited for on a serial loop's goroutine, for work
	// queued behind it, hangs.
	{Loop: fzSerial, Ops: []fzOp{{Kind: fzNested, Var: fzInGo}}},
	// The process aborted ("coro: OS thread locking must match locking at
	// coroutine creation") in the two below.
	// A LockOSThread loop's task calls Goexit (the second manager's Enter)
	// while a coroutine made on the loop's thread is live (the first,
	// OnLoop(Scoped), entered): its Exit aborts the process.
	{Loop: fzLocked, Ops: []fzOp{{Kind: fzStack, Var: fzOnLoopScoped | fzSecond(fzOnLoop), Fault: fzGoexit, Site: fzEnterS, At: 1}}},
	// An OnPanic handler that panicked on the garbage collector's goroutine
	// ended the process; one that panicked in Close made Close panic and
	// dropped the other pending panic; one that called Goexit there stopped
	// later reports.
	{Loop: fzLocked, OnPanic: true, Handler: fzHandlerPanics, Ops: []fzOp{{Kind: fzCall}, {Kind: fzGo, Var: fzDrop, Fault: fzPanic}, {Kind: fzGo, Var: fzDrop, Fault: fzPanic}}},
	{Loop: fzLimited, Limit: 3, Close: fzShutdownDone, CloseAt: 2, OnPanic: true, Handler: fzHandlerExits, Ops: []fzOp{{Kind: fzFan, N: 4, Var: fzAll, Async: true}, {Kind: fzGo, Var: fzDrop, Fault: fzPanic}, {Kind: fzGo, Var: fzDrop, Fault: fzPanic}}},
	{Loop: fzSerial, OnPanic: true, Handler: fzHandlerYields, Ops: []fzOp{{Kind: fzStart, N: 5, Var: fzAbandon, Fault: fzPanic, Site: fzSource, At: 2}, {Kind: fzGo, Var: fzDrop, Fault: fzPanic}}},
	// Map ranged from a locked thread (a task of a LockOSThread loop) and
	// stopped early.
	{Loop: fzLocked, Ops: []fzOp{{Kind: fzNested, N: 6, Var: fzInForeignMap, Stop: fzBreak, At: 0}}},
}
