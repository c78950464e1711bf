package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	sy "github.com/synchronicity-go/synchronicity"
)

// FuzzSchedule runs random schedules of work on every kind of loop and
// checks the contract after each: every producer cleanup and manager Exit
// ran exactly once, no goroutine outlives Close, every panic reached exactly
// one observer, no value was lost, duplicated or reordered where order is
// promised, and nothing hangs. See fzScenario for what a schedule is made
// of and how input bytes map onto one.
//
// SYNC_FUZZ_OFF switches patterns off (see fzSwitches).
func FuzzSchedule(f *testing.F) {
	for _, seeds := range [][]fzScenario{fzSeeds, fzRegressions} {
		for _, sc := range seeds {
			f.Add(sc.encode())
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := fzDecode(data)
		ignore := goleak.IgnoreCurrent()
		e := &fzExec{t: t, sc: sc, fired: map[int]bool{}, superseded: map[int]bool{}, seen: map[int][]string{}}
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.run()
		}()
		watchdog := time.NewTimer(fzWatchdog)
		defer watchdog.Stop()
		select {
		case <-done:
		case <-watchdog.C:
			buf := make([]byte, 8<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("scenario hung (no end within %v): %v\n\n%s", fzWatchdog, sc, buf)
		}
		for _, msg := range e.check() {
			t.Errorf("%s\nscenario: %v", msg, sc)
		}
		if err := goleak.Find(ignore, goleak.IgnoreAnyFunction("github.com/synchronicity-go/synchronicity.watchInterrupts")); err != nil {
			t.Errorf("goroutines left after Close: %v\nscenario: %v", err, sc)
		}
	})
}

// fzWatchdog bounds a scenario's run; it is the only wall-clock limit. It
// stays under the 10 s after which a fuzzing worker kills itself without a
// word, so that a hang is reported with its goroutines.
const fzWatchdog = 8 * time.Second

// fzPanicValue is a panic injected by a scenario, told apart by its tag.
type fzPanicValue struct{ tag int }

func (p fzPanicValue) String() string { return fmt.Sprintf("injected panic #%d", p.tag) }

// fzError is an error injected by a scenario in op's item.
type fzError struct{ op, item int }

func (e fzError) Error() string { return fmt.Sprintf("injected error (op %d, item %d)", e.op, e.item) }

// errFzCancel is the cause with which a scenario cancels an op's ctx;
// errFzEnd cancels every op's ctx once the scenario is over.
var (
	errFzCancel = errors.New("op cancelled by the scenario")
	errFzEnd    = errors.New("scenario over")
)

// fzRes counts the runs of a producer, input or manager that started and
// the cleanups that ran.
type fzRes struct {
	name             string
	started, cleaned atomic.Int64
}

// fzCtxSeen is a task's context seen done, and what it said then.
type fzCtxSeen struct {
	where      string
	ctx        context.Context
	err, cause error
}

// fzExec is one run of a scenario.
type fzExec struct {
	t       *testing.T
	sc      fzScenario
	l, aux  *sy.Loop
	ops     sync.WaitGroup // op goroutines and their helpers
	closers sync.WaitGroup // goroutines that close the loop
	tags    atomic.Int64

	closeCalled atomic.Bool

	mu         sync.Mutex
	fails      []string
	res        []*fzRes
	fired      map[int]bool     // panics thrown
	superseded map[int]bool     // panics replaced by another one in flight
	seen       map[int][]string // panics caught, by whom
	onPanic    []int            // panics the loop reported
	closeTags  []int
	closeErrs  []error // what the Close calls during the scenario returned
	ctxs       []fzCtxSeen
	cancels    []context.CancelCauseFunc
}

func (e *fzExec) failf(format string, args ...any) {
	e.mu.Lock()
	e.fails = append(e.fails, fmt.Sprintf(format, args...))
	e.mu.Unlock()
}

func (e *fzExec) newRes(name string) *fzRes {
	r := &fzRes{name: name}
	e.mu.Lock()
	e.res = append(e.res, r)
	e.mu.Unlock()
	return r
}

// fzTags finds the injected panics in a recovered value or an error: a
// *PanicError's value, joined and wrapped errors.
func fzTags(v any, tags *[]int, other *[]any) {
	switch x := v.(type) {
	case nil:
	case fzPanicValue:
		*tags = append(*tags, x.tag)
	case *sy.PanicError:
		fzTags(x.Value, tags, other)
	case interface{ Unwrap() []error }:
		for _, err := range x.Unwrap() {
			fzTags(err, tags, other)
		}
	case interface{ Unwrap() error }:
		if inner := x.Unwrap(); inner != nil {
			fzTags(inner, tags, other)
		} else {
			*other = append(*other, v)
		}
	default:
		*other = append(*other, v)
	}
}

// caught records a panic that reached the scenario.
func (e *fzExec) caught(who string, v any) {
	var tags []int
	var other []any
	fzTags(v, &tags, &other)
	late := e.closeCalled.Load()
	e.mu.Lock()
	for _, tag := range tags {
		if late {
			// Observed after Close began: Close may have reported it too.
			who += " (after Close)"
		}
		e.seen[tag] = append(e.seen[tag], who)
	}
	e.mu.Unlock()
	for _, o := range other {
		e.failf("%s: unexpected panic: %v", who, o)
	}
}

// supersede marks the panics in err as replaced by the one about to be
// thrown (an Exit that panics or calls Goexit while a panic is in flight):
// by Go's rules they reach nobody.
func (e *fzExec) supersede(err error) {
	var tags []int
	var other []any
	fzTags(err, &tags, &other)
	e.mu.Lock()
	for _, tag := range tags {
		e.superseded[tag] = true
	}
	e.mu.Unlock()
}

// noteCtx remembers a task's context if it is done, to check later that it
// stays as it was.
func (e *fzExec) noteCtx(where string, ctx context.Context) {
	if err := ctx.Err(); err != nil {
		e.mu.Lock()
		e.ctxs = append(e.ctxs, fzCtxSeen{where, ctx, err, context.Cause(ctx)})
		e.mu.Unlock()
	}
}

func (e *fzExec) run() {
	defer func() {
		if v := recover(); v != nil {
			e.failf("scenario panicked: %v", v)
		}
	}()
	sc := e.sc
	var opts []sy.Option
	switch sc.Loop {
	case fzLimited:
		opts = append(opts, sy.Limit(int(sc.Limit)))
	case fzSerial:
		opts = append(opts, sy.Serial())
	case fzLocked:
		opts = append(opts, sy.LockOSThread())
	}
	// The panics nobody observed go to the OnPanic handler, or else to the
	// report on standard error, which the scenario reads instead.
	if sc.OnPanic {
		opts = append(opts, sy.OnPanic(func(p *sy.PanicError) {
			var tags []int
			var other []any
			fzTags(p, &tags, &other)
			e.reported(tags)
			switch sc.Handler {
			case fzHandlerPanics:
				panic("OnPanic handler failing")
			case fzHandlerExits:
				runtime.Goexit()
			case fzHandlerYields:
				for range 10 {
					runtime.Gosched()
				}
			}
		}))
		// A handler's own panic is written there, with the report it was
		// handling, which the handler has recorded already.
		defer sy.SetPanicOutput(io.Discard)()
	} else {
		defer sy.SetPanicOutput(fzReportReader{e})()
	}
	e.l = sy.New(opts...)
	e.aux = sy.New(sy.Name("fuzz-aux"))
	for i, o := range sc.Ops {
		if i == int(sc.CloseAt) {
			e.closeMid()
		}
		done := e.start(i, o)
		if !o.Async {
			<-done
		}
	}
	if int(sc.CloseAt) == len(sc.Ops) {
		e.closeMid()
	}
	if sc.Close == fzCloseInFlight {
		e.closeCalled.Store(true)
		e.noteClose(e.l.Close())
	}
	e.ops.Wait()
	e.closeCalled.Store(true)
	err := e.l.Close()
	e.closers.Wait()
	var other []any
	fzTags(err, &e.closeTags, &other)
	for _, o := range other {
		e.failf("Close returned a non-panic error: %v", o)
	}
	for _, prev := range e.closeErrs {
		if prev != err {
			e.failf("Close is not idempotent: returned %v, then %v", prev, err)
		}
	}
	if err := e.aux.Close(); err != nil {
		e.failf("the other loop's Close: %v", err)
	}
	e.mu.Lock()
	cancels := e.cancels
	e.mu.Unlock()
	for _, cancel := range cancels {
		cancel(errFzEnd)
	}
}

// reported records panics that reached the loop's report.
func (e *fzExec) reported(tags []int) {
	e.mu.Lock()
	e.onPanic = append(e.onPanic, tags...)
	e.mu.Unlock()
}

// fzReportReader reads the tags of the injected panics out of the reports
// of a loop without OnPanic.
type fzReportReader struct{ e *fzExec }

var fzTagPattern = regexp.MustCompile(`injected panic #(\d+)`)

func (r fzReportReader) Write(b []byte) (int, error) {
	var tags []int
	for _, m := range fzTagPattern.FindAllSubmatch(b, -1) {
		tag, _ := strconv.Atoi(string(m[1]))
		tags = append(tags, tag)
	}
	r.e.reported(tags)
	return len(b), nil
}

func (e *fzExec) noteClose(err error) {
	e.mu.Lock()
	e.closeErrs = append(e.closeErrs, err)
	e.mu.Unlock()
}

// closeMid closes the loop in the middle of the scenario, if it asks for it.
func (e *fzExec) closeMid() {
	switch e.sc.Close {
	case fzCloseBetween:
		e.closeCalled.Store(true)
		e.noteClose(e.l.Close())
	case fzShutdownDone:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		e.closeCalled.Store(true)
		if err := e.l.Shutdown(ctx); !errors.Is(err, context.Canceled) && e.l.Context().Err() == nil {
			e.failf("Shutdown(done ctx) returned %v and left the loop open", err)
		}
	case fzCloseConcurrent, fzShutdownConcurrent:
		e.closers.Add(1)
		go func() {
			defer e.closers.Done()
			e.closeCalled.Store(true)
			if e.sc.Close == fzCloseConcurrent {
				e.noteClose(e.l.Close())
			} else {
				e.l.Shutdown(context.Background())
			}
		}()
	}
}

// check returns what went wrong, once the scenario has ended.
func (e *fzExec) check() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	fails := e.fails
	for _, r := range e.res {
		if s, c := r.started.Load(), r.cleaned.Load(); s != c {
			fails = append(fails, fmt.Sprintf("%s: %d runs started, %d cleanups ran", r.name, s, c))
		}
	}
	// A panic nobody observed reaches the loop's report once (the OnPanic
	// handler, or standard error): when its future or stream was collected,
	// when it could never be held, or at Close, which returns those too.
	reportCount := map[int]int{}
	for _, tag := range e.onPanic {
		reportCount[tag]++
	}
	for tag := range e.fired {
		by := slices.Clone(e.seen[tag])
		for range reportCount[tag] {
			by = append(by, "report")
		}
		switch {
		case len(by) == 0 && !e.superseded[tag]:
			fails = append(fails, fmt.Sprintf("panic #%d reached no observer (reports %v, Close %v, seen %v, fired %v)", tag, e.onPanic, e.closeTags, e.seen, e.fired))
		case len(by) > 1 && !(len(by) == 2 && reportCount[tag] == 1 && strings.HasSuffix(by[0], "(after Close)")):
			fails = append(fails, fmt.Sprintf("panic #%d reached %d observers: %v", tag, len(by), by))
		}
	}
	for _, tag := range e.closeTags {
		if reportCount[tag] == 0 {
			fails = append(fails, fmt.Sprintf("Close returned panic #%d, which the loop's report never saw", tag))
		}
	}
	for tag := range e.seen {
		if !e.fired[tag] {
			fails = append(fails, fmt.Sprintf("panic #%d observed but never thrown", tag))
		}
	}
	if fzOn("ctxstable") {
		for _, c := range e.ctxs {
			if err, cause := c.ctx.Err(), context.Cause(c.ctx); err != c.err || cause != c.cause {
				fails = append(fails, fmt.Sprintf("%s: a task's ctx changed once done: Err %v → %v, Cause %v → %v", c.where, c.err, err, c.cause, cause))
			}
		}
	}
	return fails
}

// fzOpRun is one op of a scenario, running.
type fzOpRun struct {
	e        *fzExec
	o        fzOp
	idx      int
	name     string
	base     int // item i's value is base+i
	n, at    int
	ctx      context.Context
	cancel   context.CancelCauseFunc
	calls    atomic.Int64 // tasks called
	produced atomic.Int64
	mine     []*fzRes // resources the op's end must have cleaned up
}

// start starts op i on a goroutine of its own, which it may end by calling
// runtime.Goexit, and returns a channel closed when that goroutine ends.
func (e *fzExec) start(i int, o fzOp) <-chan struct{} {
	r := &fzOpRun{e: e, o: o, idx: i, name: fmt.Sprintf("op %d %v", i, o), base: 1000 * (i + 1), n: int(o.N)}
	r.at = [3]int{0, r.n / 2, max(r.n-1, 0)}[o.At]
	if o.Kind == fzFan {
		r.at = min(r.at, r.n-1)
	}
	if (o.Stop == fzRun || o.Stop == fzBreak) && (int(e.sc.Seed)+i)%3 == 0 {
		// A ctx that never ends: the loop's own context serves.
		r.ctx, r.cancel = context.Background(), func(error) {}
	} else {
		r.ctx, r.cancel = context.WithCancelCause(context.Background())
		e.mu.Lock()
		e.cancels = append(e.cancels, r.cancel)
		e.mu.Unlock()
	}
	switch o.Stop {
	case fzCancelBefore:
		r.cancel(errFzCancel)
	case fzCancelAsync:
		e.ops.Add(1)
		go func() {
			defer e.ops.Done()
			r.jitter(context.Background(), 7)
			r.cancel(errFzCancel)
		}()
	}
	done := make(chan struct{})
	e.ops.Add(1)
	go func() {
		defer e.ops.Done()
		defer close(done)
		finished := false
		defer func() {
			if !finished {
				if v := recover(); v != nil {
					e.caught(r.name, v)
				}
			}
			for _, res := range r.mine {
				if s, c := res.started.Load(), res.cleaned.Load(); s != c {
					e.failf("%s: at the op's end, %d runs started and %d cleanups ran", res.name, s, c)
				}
			}
		}()
		if e.inBubble(o, r) {
			fzBubble(e.t, func() {
				defer func() {
					if v := recover(); v != nil {
						e.caught(r.name, v)
					}
				}()
				r.run()
			})
		} else {
			r.run()
		}
		finished = true
	}()
	return done
}

// fzBubble runs f in a testing/synctest bubble, where the toolchain has
// them (fuzz_bubble_test.go).
var fzBubble func(t *testing.T, f func())

// inBubble reports whether op r runs inside a testing/synctest bubble while
// its serial or locked loop was made outside, as a package-level loop meets
// a user's synctest.Test. Only an op that the scenario's other goroutines
// cannot reach does: one awaited, with a context that never ends and
// without runtime.Goexit, which would end the bubble's test. A stream left
// unread (dropped, abandoned, or left by a body's panic) is not one: its
// goroutine, made in the bubble, lives until the loop closes, and a bubble
// ends only once its goroutines have. Nor is a
// manager that crosses into a task of the loop, which is outside: what the
// bubble entered, the bubble must exit.
func (e *fzExec) inBubble(o fzOp, r *fzOpRun) bool {
	left := o.Kind == fzStart && (o.Var&3 == fzDropped || o.Var&3 == fzAbandon || o.Site == fzBody && o.Fault == fzPanic) ||
		(o.Kind == fzEnter || o.Kind == fzStack) && o.Var&fzCross != 0
	return fzBubble != nil && (e.sc.Loop == fzSerial || e.sc.Loop == fzLocked) &&
		!o.Async && o.Stop == fzRun && o.Fault != fzGoexit && o.Kind != fzNested && !left &&
		r.ctx == context.Background()
}

func (r *fzOpRun) failf(format string, args ...any) {
	r.e.failf("%s: %s", r.name, fmt.Sprintf(format, args...))
}

// jitter lets other goroutines run a few times, fewer once ctx is done.
func (r *fzOpRun) jitter(ctx context.Context, i int) {
	for range (int(r.e.sc.Seed) + 5*r.idx + 3*i) % 4 {
		if ctx.Err() != nil {
			return
		}
		runtime.Gosched()
	}
}

// hit reports whether the op's fault fires at site for item i.
func (r *fzOpRun) hit(site fzSite, i int) bool {
	o := r.o
	return o.Fault != fzNone && o.Site == site && (i == r.at || o.Repeat && i > r.at)
}

// fire acts out the op's fault for item i: it returns an error, panics or
// calls runtime.Goexit.
func (r *fzOpRun) fire(i int) error {
	switch r.o.Fault {
	case fzPanic:
		tag := int(r.e.tags.Add(1))
		r.e.mu.Lock()
		r.e.fired[tag] = true
		r.e.mu.Unlock()
		panic(fzPanicValue{tag})
	case fzGoexit:
		runtime.Goexit()
	}
	return fzError{r.idx, i}
}

// fireOver is fire while err may carry a panic in flight.
func (r *fzOpRun) fireOver(i int, err error) error {
	if r.o.Fault == fzPanic || r.o.Fault == fzGoexit {
		r.e.supersede(err)
	}
	return r.fire(i)
}

// closed reports whether the loop may have been closed under the op.
func (r *fzOpRun) closed() bool { return r.e.closeCalled.Load() || r.e.l.Context().Err() != nil }

// undisturbed reports whether nothing but the op's own fault may have cut
// the op short: no stop, no Close.
func (r *fzOpRun) undisturbed() bool { return r.o.Stop == fzRun && !r.closed() }

// allowed reports whether err is an error the op may see: its own injected
// error, a cancellation, the loop's closing, a Goexit it injected, or a panic
// the loop's Close reported before the op asked (which has had its one
// observer, so the op gets it as an error).
func (r *fzOpRun) allowed(err error) bool {
	var fe fzError
	var pe *sy.PanicError
	switch {
	case errors.As(err, &pe):
		return r.closed() && strings.Contains(err.Error(), "injected panic")
	case errors.As(err, &fe):
		return fe.op == r.idx && r.o.Fault == fzErr
	case errors.Is(err, context.Canceled):
		return r.o.Stop != fzRun || r.closed() || r.o.Kind == fzFan || r.o.Var&fzStopOnError != 0 && r.o.Kind == fzMap
	case errors.Is(err, sy.ErrClosed):
		return r.closed()
	case strings.Contains(err.Error(), "runtime.Goexit"):
		return r.o.Fault == fzGoexit
	}
	return false
}

func (r *fzOpRun) checkErr(what string, err error) {
	if err != nil && !r.allowed(err) {
		r.failf("%s: unexpected error %v", what, err)
	}
}

// res makes a resource whose cleanup the op's end must have seen.
func (r *fzOpRun) res(what string, mine bool) *fzRes {
	res := r.e.newRes(r.name + ": " + what)
	if mine {
		r.mine = append(r.mine, res)
	}
	return res
}

// task is the function of a call: it yields, waits for its ctx if slow,
// and acts out the op's fault at site for item i.
func (r *fzOpRun) task(site fzSite, i int) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		r.calls.Add(1)
		defer r.e.noteCtx(r.name, ctx)
		r.jitter(ctx, i)
		if r.o.Slow && i == r.at {
			<-ctx.Done()
		}
		if r.hit(site, i) {
			if err := r.fire(i); err != nil {
				return 0, err
			}
		}
		return r.base + i, nil
	}
}

// producer yields items 0..n-1, acting out the op's fault at its source.
func (r *fzOpRun) producer(res *fzRes) sy.Producer[int] {
	return func(ctx context.Context, yield func(int) bool) error {
		res.started.Add(1)
		defer res.cleaned.Add(1)
		for i := 0; ; i++ {
			r.jitter(ctx, i)
			if r.o.Slow && i == r.at {
				<-ctx.Done()
			}
			if r.hit(fzSource, i) {
				if err := r.fire(i); err != nil {
					return err
				}
			}
			if i >= r.n {
				return nil
			}
			r.produced.Add(1)
			if !yield(r.base + i) {
				return nil
			}
		}
	}
}

// body is the consumer's side for item i: it acts out the op's stop and
// its fault in the body, and reports whether to go on.
func (r *fzOpRun) body(i int) bool {
	if r.hit(fzBody, i) && r.fire(i) != nil {
		return false
	}
	switch {
	case r.o.Stop == fzBreak && i == r.at:
		return false
	case r.o.Stop == fzCancelAt && i == r.at:
		r.cancel(errFzCancel)
	}
	return true
}

// pairs checks a sequence of (value, error) pairs where values come in
// order: base, base+1, ...; an error ends it.
type fzPairs struct {
	r    *fzOpRun
	got  int
	last error
}

func (p *fzPairs) add(v int, err error) {
	if p.last != nil {
		p.r.failf("a pair (%d, %v) after the error %v", v, err, p.last)
	}
	if err != nil {
		p.last = err
		p.r.checkErr("last pair", err)
		return
	}
	if want := p.r.base + p.got; v != want {
		p.r.failf("value %d where %d was due (lost, duplicated or reordered)", v, want)
	}
	p.got++
}

// finish checks what a sequence that was not stopped delivered.
func (p *fzPairs) finish(broke bool) {
	r := p.r
	if broke || !r.undisturbed() || r.o.Fault != fzNone && r.o.Fault != fzErr {
		return
	}
	want, wantErr := r.n, error(nil)
	if r.o.Fault == fzErr && r.o.Site == fzSource && r.at <= r.n {
		want, wantErr = r.at, fzError{r.idx, r.at}
	}
	if p.got != want || !errors.Is(p.last, wantErr) && (wantErr != nil || p.last != nil) {
		r.failf("delivered %d values and error %v, want %d values and error %v", p.got, p.last, want, wantErr)
	}
}

func (r *fzOpRun) run() {
	switch r.o.Kind {
	case fzCall:
		r.call()
	case fzGo:
		r.goFuture()
	case fzFan:
		r.fan()
	case fzSeq:
		r.seq()
	case fzStart:
		r.stream()
	case fzMap:
		r.mapOp()
	case fzEnter, fzDo, fzPush:
		r.manage()
	case fzStack:
		r.stack()
	case fzNested:
		r.nested()
	}
}

// checkOne checks the outcome of a single task (item i).
func (r *fzOpRun) checkOne(v int, err error, i int) {
	switch {
	case err == nil && v != r.base+i:
		r.failf("result %d, want %d", v, r.base+i)
	case err != nil:
		r.checkErr("result", err)
	case r.o.Fault == fzErr && r.o.Site == fzTask && r.undisturbed():
		r.failf("result %d without the injected error", v)
	}
	if r.o.Stop == fzCancelBefore && r.calls.Load() != 0 && r.o.Kind != fzNested {
		r.failf("the task ran with its ctx done before its turn")
	}
}

func (r *fzOpRun) call() {
	var v int
	var err error
	if r.o.Var&fzViaWrap != 0 {
		task := r.task(fzTask, 0)
		v, err = sy.Wrap(r.e.l, func(ctx context.Context, _ int) (int, error) { return task(ctx) }).Call(r.ctx, 0)
	} else {
		v, err = sy.Call(r.ctx, r.e.l, r.task(fzTask, 0))
	}
	r.checkOne(v, err, 0)
}

func (r *fzOpRun) goFuture() {
	var f *sy.Future[int]
	if r.o.Var&fzViaWrap != 0 {
		task := r.task(fzTask, 0)
		f = sy.Wrap(r.e.l, func(ctx context.Context, _ int) (int, error) { return task(ctx) }).Go(r.ctx, 0)
	} else {
		f = sy.Go(r.ctx, r.e.l, r.task(fzTask, 0))
	}
	switch r.o.Stop {
	case fzCancelAt:
		r.cancel(errFzCancel)
	case fzCancelFuture:
		r.jitter(context.Background(), 1)
		f.Cancel()
	}
	var v int
	var err error
	switch r.o.Var & 3 {
	case fzResult:
		v, err = f.Result()
	case fzWait:
		v, err = f.Wait(r.ctx)
	case fzDone:
		<-f.Done()
		v, err = f.Result()
	case fzDrop:
		return
	}
	r.checkOne(v, err, 0)
}

func (r *fzOpRun) fan() {
	fs := make([]*sy.Future[int], r.n)
	index := map[*sy.Future[int]]int{}
	for i := range fs {
		fs[i] = sy.Go(r.ctx, r.e.l, r.task(fzTask, i))
		index[fs[i]] = i
	}
	switch r.o.Stop {
	case fzCancelAt:
		r.cancel(errFzCancel)
	case fzCancelFuture:
		fs[r.at].Cancel()
	}
	clean := r.undisturbed() && r.o.Fault == fzNone
	switch r.o.Var & 3 {
	case fzAll:
		vs, err := sy.All(r.ctx, fs...)
		r.checkErr("All", err)
		if err == nil {
			for i, v := range vs {
				if v != r.base+i {
					r.failf("All: value %d at %d", v, i)
				}
			}
		} else if clean && !r.closed() {
			r.failf("All: %v with nothing failing", err)
		}
	case fzAny, fzRace:
		any := r.o.Var&3 == fzAny
		var v int
		var err error
		if any {
			v, err = sy.Any(r.ctx, fs...)
		} else {
			v, err = race(r.ctx, fs...)
		}
		r.checkErr("Any/Race", err)
		if err == nil && (v < r.base || v >= r.base+r.n) {
			r.failf("Any/Race: value %d", v)
		} else if err != nil && clean && !r.closed() {
			r.failf("Any/Race: %v with nothing failing", err)
		}
	case fzAsCompleted:
		seen := map[int]bool{}
		k := 0
		for _, f := range sy.AsCompleted(context.Background(), fs...) {
			i := index[f]
			if seen[i] {
				r.failf("AsCompleted yielded future %d twice", i)
			}
			seen[i] = true
			select {
			case <-f.Done():
			default:
				r.failf("AsCompleted yielded future %d before it settled", i)
			}
			v, err := f.Result()
			if err == nil && v != r.base+i {
				r.failf("AsCompleted: future %d has value %d", i, v)
			}
			r.checkErr("AsCompleted", err)
			if !r.body(k) {
				return
			}
			k++
		}
		if len(seen) != r.n && r.o.Stop != fzBreak && r.o.Fault != fzPanic && r.o.Fault != fzGoexit {
			r.failf("AsCompleted yielded %d of %d futures", len(seen), r.n)
		}
	}
}

func (r *fzOpRun) seqOf(res *fzRes) iter.Seq2[int, error] {
	var opts []sy.SeqOption
	if p := r.o.Var & 3; p != 0 {
		opts = append(opts, sy.Prefetch(int(p)))
	}
	return sy.Seq(r.ctx, r.e.l, r.producer(res), opts...)
}

func (r *fzOpRun) seq() {
	res := r.res("producer", true)
	p := &fzPairs{r: r}
	prefetch := int(r.o.Var & 3)
	broke := false
	for v, err := range r.seqOf(res) {
		p.add(v, err)
		if err != nil {
			continue
		}
		if ahead := r.produced.Load() - int64(p.got); prefetch == 0 && ahead != 0 || ahead > int64(prefetch)+1 {
			r.failf("the producer ran %d items ahead of the body (Prefetch %d)", ahead, prefetch)
		}
		if !r.body(p.got - 1) {
			broke = true
			break
		}
	}
	p.finish(broke)
}

func (r *fzOpRun) stream() {
	var opts []sy.SeqOption
	if n := r.o.Var >> 3 & 3; n != 0 {
		opts = append(opts, sy.Prefetch(int(n)))
	}
	mode := r.o.Var & 3
	res := r.res("stream producer", false)
	p := &fzPairs{r: r}
	switch mode {
	case fzDrain:
		s := sy.Start(r.ctx, r.e.l, r.producer(res), opts...)
		for v := range s.C() {
			p.add(v, nil)
			stop := r.o.Stop == fzCancelFuture && p.got-1 == r.at
			if !r.body(p.got-1) || stop {
				r.checkErr("Stop", s.Stop())
				if res.started.Load() != res.cleaned.Load() {
					r.failf("Stop returned before the producer's cleanup ran")
				}
				return
			}
		}
		if err := s.Stop(); err != nil {
			p.add(0, err)
		}
		p.finish(false)
	case fzRangeSeq:
		s := sy.Start(r.ctx, r.e.l, r.producer(res), opts...)
		broke := false
		for v, err := range s.Seq() {
			p.add(v, err)
			if err == nil && !r.body(p.got-1) {
				broke = true
				break
			}
		}
		if broke && res.started.Load() != res.cleaned.Load() {
			r.failf("breaking out of Stream.Seq returned before the producer's cleanup ran")
		}
		p.finish(broke)
	case fzDropped:
		for v := range sy.Start(r.ctx, r.e.l, r.producer(res), opts...).C() {
			p.add(v, nil)
			if p.got == 1 {
				runtime.GC() // the *Stream is garbage now; its channel is not
			}
			if !r.body(p.got - 1) {
				return
			}
		}
		if r.undisturbed() && r.o.Fault == fzNone && p.got != r.n {
			r.failf("range over a dropped stream's C delivered %d of %d values", p.got, r.n)
		}
	case fzAbandon:
		sy.Start(r.ctx, r.e.l, r.producer(res), opts...)
	}
}

func (r *fzOpRun) mapOp() {
	in := r.res("Map input", true)
	seq := func(yield func(int) bool) {
		in.started.Add(1)
		defer in.cleaned.Add(1)
		for i := 0; ; i++ {
			r.jitter(context.Background(), i)
			if r.hit(fzSource, i) && r.fire(i) != nil {
				return // an input cannot fail: an error ends it
			}
			if i >= r.n {
				return
			}
			r.produced.Add(1)
			if !yield(i) {
				return
			}
		}
	}
	fn := func(ctx context.Context, i int) (int, error) { return r.task(fzTask, i)(ctx) }
	var opts []sy.SeqOption
	unordered, stopOnError := r.o.Var&fzUnordered != 0, r.o.Var&fzStopOnError != 0
	if unordered {
		opts = append(opts, sy.Unordered())
	}
	if stopOnError {
		opts = append(opts, sy.StopOnError())
	}
	if w := r.o.Var >> 2 & 3; w != 0 {
		opts = append(opts, sy.Prefetch(int(w)))
	}
	seen := map[int]bool{}
	var last error // a pair that must be the last
	count, broke := 0, false
	for v, err := range sy.Map(r.ctx, r.e.l, seq, fn, opts...) {
		if last != nil {
			r.failf("Map yielded (%d, %v) after %v", v, err, last)
		}
		item := -1
		var fe fzError
		switch {
		case err == nil:
			item = v - r.base
			if item < 0 || item >= r.n {
				r.failf("Map yielded value %d", v)
			}
		case errors.As(err, &fe) && fe.op == r.idx:
			item = fe.item
			if stopOnError {
				last = err
			}
		case r.o.Fault == fzGoexit && strings.Contains(err.Error(), "runtime.Goexit"):
			// A call that called Goexit fails in its place, like an error.
			if stopOnError {
				last = err
			}
		default:
			r.checkErr("Map", err)
			last = err
		}
		if item >= 0 {
			if seen[item] {
				r.failf("Map yielded item %d twice", item)
			}
			seen[item] = true
			if !unordered && item != count && !(stopOnError && err != nil && item > count) {
				r.failf("Map yielded item %d in place %d", item, count)
			}
		}
		count++
		if !r.body(count - 1) {
			broke = true
			break
		}
	}
	if broke || !r.undisturbed() || r.o.Fault == fzPanic || r.o.Fault == fzGoexit || stopOnError && r.o.Fault == fzErr {
		return
	}
	want := r.n
	if r.o.Fault == fzErr && r.o.Site == fzSource {
		want = min(r.at, r.n)
	}
	if len(seen) != want || last != nil {
		r.failf("Map delivered %d of %d items (last error %v)", len(seen), want, last)
	}
}

// fzCM is a context manager that acts out its op's faults.
type fzCM struct {
	r     *fzOpRun
	which int
	res   *fzRes
}

func (c *fzCM) hit(site fzSite) bool {
	r := c.r
	return r.o.Fault != fzNone && r.o.Site == site && (r.o.Kind != fzStack || c.which == int(r.o.At)%2 || r.o.Repeat)
}

func (c *fzCM) Enter(ctx context.Context) (int, error) {
	c.r.jitter(ctx, c.which)
	if c.hit(fzEnterS) {
		if err := c.r.fire(c.which); err != nil {
			return 0, err
		}
	}
	c.res.started.Add(1)
	return c.r.base + c.which, nil
}

func (c *fzCM) Exit(_ context.Context, err error) error {
	c.res.cleaned.Add(1)
	if c.hit(fzExitS) {
		if ferr := c.r.fireOver(c.which, err); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

// manager makes manager number which of the op, of the given kind.
func (r *fzOpRun) manager(kind uint8, which int) sy.ContextManager[int] {
	c := &fzCM{r: r, which: which, res: r.res(fmt.Sprintf("manager %d (%s)", which, fzCMNames[kind]), true)}
	var cm sy.ContextManager[int] = c
	if kind == fzScoped || kind == fzOnLoopScoped {
		cm = sy.Scoped(func(ctx context.Context, yield func(int) error) error {
			v, err := c.Enter(ctx)
			if err != nil {
				return err
			}
			// The teardown must run once, whether yield returns, the body
			// panics through it, or it calls Goexit.
			exited := false
			defer func() {
				if !exited {
					c.res.cleaned.Add(1)
				}
			}()
			berr := yield(v)
			exited = true
			return c.Exit(ctx, berr)
		})
	}
	if kind == fzOnLoop || kind == fzOnLoopScoped {
		cm = sy.OnLoop(r.e.l, cm)
	}
	return cm
}

// cmBody is the body run inside the managers.
func (r *fzOpRun) cmBody(v, which int) error {
	if v != r.base+which {
		r.failf("manager %d gave %d", which, v)
	}
	if r.o.Stop == fzCancelAt {
		r.cancel(errFzCancel)
	}
	if r.hit(fzBody, r.at) {
		return r.fire(r.at)
	}
	return nil
}

func (r *fzOpRun) manage() {
	cm := r.manager(r.o.Var&3, 0)
	var err error
	switch r.o.Kind {
	case fzEnter:
		err = func() (err error) {
			v, exit, err := r.enter(cm)
			if err != nil {
				return err
			}
			defer exit(&err)
			return r.cmBody(v, 0)
		}()
	case fzDo:
		err = sy.Do(r.ctx, cm, func(v int) error { return r.cmBody(v, 0) })
	case fzPush:
		err = func() (err error) {
			var st sy.ExitStack
			defer st.Unwind(r.ctx, &err)
			v, err := sy.Push(r.ctx, &st, cm)
			if err != nil {
				return err
			}
			return r.cmBody(v, 0)
		}()
	}
	r.checkErr(fzKindNames[r.o.Kind], err)
	if r.o.Fault == fzErr && r.o.Site == fzBody && r.undisturbed() && !errors.Is(err, fzError{r.idx, r.at}) {
		r.failf("the body's error did not come out: %v", err)
	}
	if r.o.Fault == fzNone && r.undisturbed() && err != nil {
		r.failf("error %v with nothing failing", err)
	}
}

// enter enters cm, in a task of the loop if the op crosses.
func (r *fzOpRun) enter(cm sy.ContextManager[int]) (v int, exit func(*error), err error) {
	if r.o.Var&fzCross == 0 {
		return sy.Enter(r.ctx, cm)
	}
	_, err = sy.Call(r.ctx, r.e.l, func(ctx context.Context) (int, error) {
		var err error
		v, exit, err = sy.Enter(ctx, cm)
		return 0, err
	})
	return v, exit, err
}

// closeInTask closes st in a task of the loop, or here if the loop no
// longer takes work.
func (r *fzOpRun) closeInTask(st *sy.ExitStack, err error) error {
	ran := false
	_, cerr := sy.Call(context.Background(), r.e.l, func(ctx context.Context) (int, error) {
		ran = true
		err = unwind(ctx, st, err)
		return 0, nil
	})
	if !ran {
		return unwind(r.ctx, st, err)
	}
	return errors.Join(err, cerr)
}

func (r *fzOpRun) stack() {
	deferred := r.res("ExitStack.Defer", true)
	err := func() (err error) {
		var st sy.ExitStack
		switch {
		case r.o.Var&fzCross != 0:
			defer func() { err = r.closeInTask(&st, err) }()
		case r.o.Var&fzUnwind != 0:
			defer st.Unwind(r.ctx, &err)
		default:
			defer func() { err = unwind(r.ctx, &st, err) }()
		}
		deferred.started.Add(1)
		st.Defer(func(_ context.Context, err error) error {
			deferred.cleaned.Add(1)
			return err
		})
		v0, err := sy.Push(r.ctx, &st, r.manager(r.o.Var&3, 0))
		if err != nil {
			return err
		}
		v1, err := sy.Push(r.ctx, &st, r.manager(r.o.Var>>2&3, 1))
		if err != nil {
			return err
		}
		if v0 != r.base || v1 != r.base+1 {
			r.failf("the stack's managers gave %d and %d", v0, v1)
		}
		return r.cmBody(v1, 1)
	}()
	r.checkErr("ExitStack", err)
}

func (r *fzOpRun) nested() {
	l := r.e.l
	outer := func(ctx context.Context) (int, error) {
		r.calls.Add(1)
		defer r.e.noteCtx(r.name, ctx)
		switch r.o.Var {
		case fzInCall:
			v, err := sy.Call(ctx, l, r.task(fzSource, 0))
			if err != nil {
				return 0, err
			}
			if v != r.base {
				r.failf("inner Call gave %d", v)
			}
		case fzInGo:
			// On a serial loop's goroutine the wait runs the inner task.
			v, misuse, err := r.selfWait(func() (int, error) { return sy.Go(ctx, l, r.task(fzSource, 0)).Result() })
			if misuse {
				r.failf("waiting for the loop's own future from its work panicked")
			}
			if err != nil {
				return 0, err
			}
			if v != r.base {
				r.failf("inner Go gave %d", v)
			}
		case fzInSeq:
			res := r.res("inner producer", true)
			p := &fzPairs{r: r}
			for v, err := range sy.Seq(ctx, l, r.producer(res)) {
				p.add(v, err)
				if err == nil && !r.body(p.got-1) {
					break
				}
			}
			if res.started.Load() != res.cleaned.Load() {
				r.failf("inner Seq ended before its producer's cleanup ran")
			}
		case fzInMap, fzInForeignMap:
			on := l
			if r.o.Var == fzInForeignMap {
				on = r.e.aux
			}
			k := 0
			for v, err := range sy.Map(ctx, on, slices.Values([]int{0, 1, 2, 3, 4, 5, 6, 7}[:r.n]), func(ctx context.Context, i int) (int, error) {
				return r.task(fzSource, i)(ctx)
			}) {
				if err == nil && v != r.base+k {
					r.failf("inner Map gave %d in place %d", v, k)
				}
				r.checkErr("inner Map", err)
				if !r.body(k) {
					break
				}
				k++
			}
		case fzInClose:
			r.selfWait(func() (int, error) { return 0, l.Close() })
		case fzInShutdown:
			r.selfWait(func() (int, error) { return 0, l.Shutdown(ctx) })
		}
		if r.o.Fault != fzNone && r.o.Site == fzTask {
			if err := r.fire(0); err != nil {
				return 0, err
			}
		}
		return r.base, nil
	}
	v, err := sy.Call(r.ctx, l, outer)
	r.checkOne(v, err, 0)
}

// selfWait calls fn, which waits for the loop from the loop's own work: a
// panic naming the mistake is a right answer (misuse); a hang is not.
func (r *fzOpRun) selfWait(fn func() (int, error)) (v int, misuse bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			var tags []int
			var other []any
			fzTags(p, &tags, &other)
			if len(tags) > 0 {
				panic(p) // an injected panic: not ours to catch
			}
			misuse = true
		}
	}()
	v, err = fn()
	return v, false, err
}
