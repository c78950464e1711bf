package synchronicity

import (
	"context"
	"fmt"
	"runtime/trace"
)

// OnLoop returns a manager that runs cm's Enter and Exit as work of loop l
// (nil means [Default]), while the body runs on the caller's goroutine. On a
// serial loop they run on the loop's goroutine, so a manager for a resource
// tied to a thread ([LockOSThread]) sets up and tears down on that thread.
//
// Enter runs as [Call] does: it fails with [ErrClosed] on a closed loop,
// and its ctx is done when the caller's ctx is done or the loop closes. That
// ctx stays valid until Exit has run (a [Scoped] function keeps it
// throughout). Between Enter and Exit the use counts as work in flight, so
// the loop's Close waits for Exit. Exit always runs, even after ctx has
// ended or the loop has begun closing, and gets the ctx passed to it as it
// is: Close does not cut teardown short. A panic in Enter or Exit comes out
// in the caller as a *[PanicError]. OnLoop panics if cm is nil.
//
// On a LockOSThread loop a [Scoped] cm's function runs as a coroutine of the
// loop's goroutine, on its thread. The runtime ends the process if a
// coroutine is resumed with other OS-thread locking than it was made with,
// so work of that loop that calls runtime.LockOSThread or UnlockOSThread
// itself must not enter or exit such a manager between those calls.
func OnLoop[T any](l *Loop, cm ContextManager[T]) ContextManager[T] {
	if cm == nil {
		panic("synchronicity.OnLoop: nil ContextManager")
	}
	return &onLoop[T]{loop: l, cm: cm, label: knownAs{name: fmt.Sprintf("%T", cm)}}
}

type onLoop[T any] struct {
	loop  *Loop
	cm    ContextManager[T]
	label knownAs // for reports, named after cm's type
	once
}

// Enter enters the wrapped manager on the loop.
func (m *onLoop[T]) Enter(ctx context.Context) (T, error) {
	return enterOnce(&m.once, "OnLoop", ctx, m.open)
}

// Exit exits the wrapped manager on the loop.
func (m *onLoop[T]) Exit(ctx context.Context, err error) error {
	return m.once.exit("OnLoop", ctx, err)
}

func (m *onLoop[T]) open(ctx context.Context) (v T, _ exiter, err error) {
	mustArgs("OnLoop", ctx, false)
	l := orDefault(m.loop)
	if !l.acquire() { // held until Exit, so the loop stays up for it
		return v, nil, l.closedError("OnLoop")
	}
	x := &loopExit{loop: l}
	l.track(ctx, &x.work, viaOnLoop, &m.label)
	if trace.IsEnabled() { // a task from Enter to Exit, with a region for each
		ctx, x.trace = l.traceTask(ctx, &x.work)
	}
	x.ctx, x.cancel = l.bind(ctx)
	if l.serial {
		// So that a [Scoped] function knows whose goroutine waits for it.
		x.ctx = context.WithValue(x.ctx, loopKey{}, l)
	}
	defer func() {
		if x.inner == nil {
			x.end()
		}
	}()
	v, err = Call(x.ctx, l, func(context.Context) (v T, err error) {
		// The inner manager gets x.ctx, not Call's, which ends with Call.
		defer trace.StartRegion(x.ctx, "Enter").End()
		if s, ok := m.cm.(*scoped[T]); ok && l.lockOS {
			v, x.inner, err = s.onThread(x.ctx)
		} else {
			v, x.inner, err = enter(x.ctx, m.cm)
		}
		return v, err
	})
	if err != nil {
		x.work.end = outcomeOf(err, nil)
		return v, nil, err
	}
	return v, x, nil
}

// loopExit is the teardown of one OnLoop use.
type loopExit struct {
	loop   *Loop
	inner  exiter
	ctx    context.Context // the use's, from Enter to Exit
	cancel context.CancelCauseFunc
	work   inflight
	trace  *trace.Task // with runtime/trace on
}

func (x *loopExit) end() {
	x.cancel(context.Canceled)
	x.loop.untrack(&x.work)
	if x.trace != nil {
		x.trace.End()
	}
	x.loop.release()
}

func (x *loopExit) Exit(ctx context.Context, err error) error {
	defer x.end()
	j := &exitJob{x: x, ctx: ctx, err: err, res: errExitGoexit}
	if x.loop.serial && !x.loop.onLoop() {
		// Not through Call: teardown must run even on a closing loop and
		// with a done ctx. The count held since Enter keeps the loop's
		// goroutine serving.
		j.reply.done = x.loop.replyChan()
		x.loop.submit(j)
		j.reply.wait(x.loop)
		x.loop.replies.Put(j.reply.done)
	} else if s := x.loop.lentTo(); s != nil {
		s.do(j.call) // on the loop's thread
	} else {
		j.call()
	}
	x.work.end = outcomeOf(j.res, j.p)
	if j.p != nil {
		panic(j.p)
	}
	return j.res
}

// exitJob is one Exit of an OnLoop use, run on the loop's goroutine: queued
// there (a serial loop's caller waits on its reply), handed to it by a
// stand-in, or called there.
type exitJob struct {
	q     jobLink
	x     *loopExit
	ctx   context.Context
	err   error
	res   error // errExitGoexit stays if the inner Exit calls runtime.Goexit
	p     *PanicError
	reply reply
}

// call runs the inner manager's Exit, catching its panic.
func (j *exitJob) call() {
	defer func() {
		if r := recover(); r != nil {
			j.p = newPanicError(r)
		}
	}()
	defer trace.StartRegion(j.x.ctx, "Exit").End()
	j.res = j.x.inner.Exit(j.ctx, j.err)
}

func (j *exitJob) run() {
	defer j.reply.ready()
	j.call()
}

func (*exitJob) finish()          {}
func (j *exitJob) link() *jobLink { return &j.q }
