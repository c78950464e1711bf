package synchronicity

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// What a loop shows of its work: names, [Loop.Stats], execution-trace
// tasks, and reports — slow work holding a serial loop, a Close waiting for
// work that does not end, panics nobody observed — through one channel
// ([Logger], by default standard error).
//
// Nothing here costs the hot paths more than a few loads of flags when
// nobody looks: the counts Stats adds up are kept under locks the work
// takes anyway (see shard), the durations are timed for one piece of work
// in clockEvery, and the rest waits for runtime/trace, WithName,
// RecordSites or ReportSlow to be switched on.

// nameKey is the context key of WithName.
type nameKey struct{}

// named is set once a context has been named: until then no work looks
// for a name.
var named atomic.Bool

// WithName returns a copy of ctx that names the work started with it: a
// [Call], [Go], [Seq], [Start], [Map] or [OnLoop] use given that context is
// known by name in execution traces, the loop's reports, pprof labels (key
// "synchronicity.work") and [PanicError] messages. Work is
// otherwise known by the name of its function, which for a function literal
// is that of the function around it with a suffix such as ".func1". Like a
// pprof label, the name reaches the work's work too, unless that is named
// anew.
//
// Naming costs a context lookup per piece of work started, in the whole
// process, once any context has been named.
func WithName(ctx context.Context, name string) context.Context {
	if ctx == nil {
		panic("synchronicity.WithName: nil Context")
	}
	if name == "" {
		panic("synchronicity.WithName: empty name")
	}
	named.Store(true)
	return context.WithValue(ctx, nameKey{}, &knownAs{name: name, given: true})
}

// noting reports whether track must note more of a piece of work than its
// function: its name, where it was started, or that it is traced.
func (l *Loop) noting() bool { return l.sites || named.Load() || trace.IsEnabled() }

// note notes w's name, where it was started, and whether it is traced,
// which times it exactly.
func (l *Loop) note(ctx context.Context, w *inflight) {
	lb := w.label
	if named.Load() {
		if given, ok := ctx.Value(nameKey{}).(*knownAs); ok {
			lb = given
		}
	}
	if l.sites {
		withSite := knownAs{site: startedHere()}
		if lb != nil {
			withSite.name, withSite.given = lb.name, lb.given
		}
		lb = &withSite
	}
	w.label = lb
	if trace.IsEnabled() { // timed exactly, for the trace's log of its wait
		w.timed = true
		l.clock.Store(now())
	}
}

// describe names what w runs.
func (w *inflight) describe() string {
	if w.label != nil && w.label.name != "" {
		return w.label.name
	}
	if f := runtime.FuncForPC(w.pc); f != nil {
		return f.Name()
	}
	return "(unknown)"
}

// workLabel is the pprof label that names a piece of work given a name.
const workLabel = "synchronicity.work"

// wearName has the calling goroutine, about to run w, wear the labels of l
// and of w's name, if w has one given by WithName.
func (l *Loop) wearName(w *inflight) {
	lb := w.label
	if !lb.given {
		return
	}
	c := lb.labeled.Load()
	if c == nil || c.loop != l {
		c = &labeledFor{l, pprof.WithLabels(l.labeled, pprof.Labels(workLabel, lb.name))}
		lb.labeled.Store(c)
	}
	pprof.SetGoroutineLabels(c.ctx)
}

// labeledFor is a context with the pprof labels of a loop and a name, kept
// with the name for the loop it was last used on.
type labeledFor struct {
	loop *Loop
	ctx  context.Context
}

// knownAs is what a piece of work is known by beyond its function: a name
// (given by WithName, or OnLoop's, of its manager's type) and where it was
// started (with RecordSites).
type knownAs struct {
	name  string
	given bool  // by WithName: it goes in pprof labels too
	site  *site // or nil

	labeled atomic.Pointer[labeledFor] // see wearName
}

// started returns the stack that started w, if recorded, or "".
func (w *inflight) started() string {
	if w.label == nil || w.label.site == nil {
		return ""
	}
	return w.label.site.String()
}

// site is where a piece of work was started: the program counters of the
// caller's stack, zero-terminated.
type site [16]uintptr

// startedHere records the stack of the caller of the package's entry point.
func startedHere() *site {
	var s site
	runtime.Callers(3, s[:])
	return &s
}

// String writes the stack s recorded, from the frame that called into the
// package on.
func (s *site) String() string {
	n := 0
	for n < len(s) && s[n] != 0 {
		n++
	}
	var b strings.Builder
	frames := runtime.CallersFrames(s[:n])
	user := false
	for {
		f, more := frames.Next()
		if user = user || !strings.HasPrefix(f.Function, libPrefix); user && !strings.HasPrefix(f.Function, "runtime.") {
			fmt.Fprintf(&b, "%s\n\t%s:%d\n", f.Function, f.File, f.Line)
		}
		if !more {
			return b.String()
		}
	}
}

// Stats is a snapshot of a loop's work, for a dashboard (it encodes to JSON
// as expvar wants) or a test.
//
// A piece of work is one [Call], [Go], [Seq] or [Start] run, [Map] run or
// [OnLoop] use. Durations are sampled: one piece of work in 32 is timed (and
// every one while an execution trace is being recorded), so a histogram
// counts a sample of the work, not all of it.
type Stats struct {
	InFlight int // started and not ended
	// Waiting counts the calls waiting for a turn under [Limit], or the
	// jobs in a serial loop's queue: its tasks and its producers' and
	// managers' steps.
	Waiting int

	Started   uint64
	Succeeded uint64 // ended with a nil error
	Failed    uint64 // ended with another error
	Canceled  uint64 // ended with an error matching context.Canceled or context.DeadlineExceeded
	Panicked  uint64

	// QueueWait is how long calls and futures waited between their start
	// and their turn: a goroutine to run on, a turn under Limit, or, on a
	// serial loop, the loop's goroutine (the loop's lag).
	QueueWait Histogram
	// RunTime is how long work ran, from its turn to its end.
	RunTime Histogram
}

// A Histogram counts durations in fixed buckets: bucket i counts those
// shorter than 10^i microseconds, the last those of 10 seconds and more.
type Histogram [9]uint64

// add counts d.
func (h *Histogram) add(d time.Duration) {
	i, bound := 0, time.Microsecond
	for i < len(h)-1 && d >= bound {
		i++
		bound *= 10
	}
	h[i]++
}

// Count returns how many durations h has counted.
func (h *Histogram) Count() uint64 {
	var n uint64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile returns the upper bound of the bucket that holds the q-th
// quantile of the durations counted, 0 < q <= 1, so that at least q of them
// are shorter; for the last bucket, which has no bound, it returns
// math.MaxInt64. It returns 0 if h is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	var seen uint64
	bound := time.Microsecond
	for i, c := range h {
		seen += c
		if float64(seen) >= q*float64(n) && i < len(h)-1 {
			return bound
		}
		bound *= 10
	}
	return 1<<63 - 1
}

// timing holds a loop's histograms; the work sampled for them is few
// enough that a lock does not make a hot spot.
type timing struct {
	mu        sync.Mutex
	wait, run Histogram
}

// timeWork counts the durations of a timed piece of work, which has ended.
func (l *Loop) timeWork(w *inflight) {
	end := now()
	began := w.began
	if began == 0 {
		began = w.since
	}
	l.timing.mu.Lock()
	l.timing.wait.add(time.Duration(began - w.since))
	l.timing.run.add(time.Duration(end - began))
	l.timing.mu.Unlock()
}

// Stats returns a snapshot of what l (nil means the default loop) is doing
// and has done. It is safe to call at any time, also after Close.
func (l *Loop) Stats() Stats {
	l = orDefault(l)
	var s Stats
	if t := l.work.Load(); t != nil {
		for i := range t {
			sh := &t[i]
			sh.mu.Lock()
			s.Started += sh.started
			s.Succeeded += sh.ended[succeeded]
			s.Failed += sh.ended[failed]
			s.Canceled += sh.ended[canceled]
			s.Panicked += sh.ended[panicked]
			sh.mu.Unlock()
		}
	}
	s.InFlight = int(s.Started - s.Succeeded - s.Failed - s.Canceled - s.Panicked)
	s.Waiting = int(l.waiting.Load())
	if l.serial {
		s.Waiting += int(l.queuedJobs())
	}
	l.timing.mu.Lock()
	s.QueueWait, s.RunTime = l.timing.wait, l.timing.run
	l.timing.mu.Unlock()
	return s
}

// outcome is how a piece of work ended, as Stats counts it.
type outcome uint8

const (
	succeeded outcome = iota
	failed
	canceled
	panicked
	outcomes
)

// outcomeOf classifies a piece of work's result.
func outcomeOf(err error, p *PanicError) outcome {
	switch {
	case p != nil:
		return panicked
	case err == nil:
		return succeeded
	case isCancel(err):
		return canceled
	}
	return failed
}

// traceTask starts w's task in the execution trace, named after l and w,
// and logs how long w waited to get here. The caller has checked that
// tracing is on.
func (l *Loop) traceTask(ctx context.Context, w *inflight) (context.Context, *trace.Task) {
	ctx, t := trace.NewTask(ctx, l.name+" "+w.kind.String()+" "+w.describe())
	if w.timed {
		trace.Log(ctx, "queued", time.Duration(now()-w.since).String())
	}
	return ctx, t
}

// report writes one of the loop's reports: to its Logger, as a record of
// msg with the loop's name and those of attrs that are not empty strings,
// or else as text to standard error. A Logger that panics
// has its panic written to standard error with the report: a report never
// panics.
func (l *Loop) report(level slog.Level, msg, text string, attrs ...slog.Attr) {
	if l.logger == nil {
		diagnose(text)
		return
	}
	defer func() {
		if v := recover(); v != nil {
			diagnose(fmt.Sprintf("synchronicity: %v: the Logger panicked: %v\n\nwhile writing:\n%s", l, v, text))
		}
	}()
	kept := []slog.Attr{slog.String("loop", l.name)}
	for _, a := range attrs {
		if !a.Value.Equal(slog.StringValue("")) {
			kept = append(kept, a)
		}
	}
	l.logger.LogAttrs(context.Background(), level, "synchronicity: "+msg, kept...)
}

// The work a serial loop's goroutine holds, for ReportSlow's watch.
type holding struct {
	seq  atomic.Uint64 // counts the jobs run
	at   atomic.Int64  // when the job running started, 0 when idle
	work atomic.Pointer[inflight]
}

// A job that is one piece of work says which, for ReportSlow.
type workJob interface{ working() *inflight }

// hold notes that the loop's goroutine runs j from now on (nil: none).
func (l *Loop) hold(j job) {
	h := &l.holding
	if j == nil {
		h.at.Store(0)
		return
	}
	var w *inflight
	if wj, ok := j.(workJob); ok {
		w = wj.working()
	}
	h.work.Store(w)
	h.seq.Add(1)
	h.at.Store(now())
}

// watchSlow is a ReportSlow loop's watch: it reports once each job that
// holds the loop's goroutine for longer than the threshold, until the loop
// has drained.
func (l *Loop) watchSlow() {
	defer l.bg.Done()
	tick := time.NewTicker(max(l.slow/4, time.Millisecond))
	defer tick.Stop()
	var last uint64
	for {
		select {
		case <-l.drained:
			return
		case <-tick.C:
		}
		h := &l.holding
		seq, at := h.seq.Load(), h.at.Load()
		if at == 0 || seq == last || seq != h.seq.Load() {
			continue
		}
		if held := time.Duration(now() - at); held >= l.slow {
			last = seq
			l.reportSlow(h.work.Load(), held)
		}
	}
}

// reportSlow reports work w (nil for a step of a producer, manager or Map)
// that has held a serial loop's goroutine for held.
func (l *Loop) reportSlow(w *inflight, held time.Duration) {
	what, site := "a step of a producer, context manager or Map", ""
	if w != nil {
		what, site = w.kind.String()+" "+w.describe(), w.started()
	}
	held = held.Round(time.Millisecond)
	queued := int(l.queuedJobs())
	var b strings.Builder
	fmt.Fprintf(&b, "synchronicity: %v: %s has held the loop's goroutine for %v (ReportSlow %v); %d jobs wait behind it\n", l, what, held, l.slow, queued)
	if site != "" {
		fmt.Fprintf(&b, "started at:\n%s", site)
	}
	l.report(slog.LevelWarn, "slow work holds a serial loop", b.String(),
		slog.String("work", what), slog.Duration("held", held), slog.Duration("threshold", l.slow),
		slog.Int("queued", queued), slog.String("started", site))
}
