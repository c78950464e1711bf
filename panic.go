package synchronicity

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// PanicError is a panic caught in a task, producer or context manager, carried
// to the goroutine that observes the outcome. It keeps the panic value and the
// stack of the goroutine that panicked, which is otherwise lost once the
// panic crosses goroutines.
//
// An observer on another goroutine re-panics with the *PanicError itself
// (so a crash shows both stacks); a recover that wants the original value
// reads Value, and [errors.As] reaches a panic value that is an error
// through Unwrap. A panic that crosses no goroutine — a body's, passing
// through a context manager's Exit — goes on with its original value; Exit
// alone sees it as a *PanicError.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the whole stack trace of the goroutine that panicked, taken
	// where the panic was recovered, with this package's frames; Error shows
	// the user's part of it.
	Stack []byte
	// Work names the work that panicked, as traces and reports do (see
	// [WithName]): its entry point and its name, or its function's. It is
	// empty for a panic in a context manager or in Map's calls.
	Work string
	// Started is the stack of the goroutine that started the work, where
	// it called into this package, if its loop records it ([RecordSites]).
	Started string
}

// Error reports the panic value followed by the stack of the goroutine that
// panicked, as the user's code saw it: from the panic site down to where the
// work entered this package, without the frames of the package's own
// machinery above and below. Stack keeps them all.
func (p *PanicError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "panic: %v\n", p.Value)
	if p.Work != "" {
		fmt.Fprintf(&b, "in %s\n", p.Work)
	}
	fmt.Fprintf(&b, "\ngoroutine that panicked:\n%s", userFrames(p.Stack))
	if p.Started != "" {
		fmt.Fprintf(&b, "\nwork started at:\n%s", p.Started)
	}
	return b.String()
}

// workPanic is newPanicError for a panic in the work w tracks, which it
// names. A *PanicError passing through is another's, and others may be
// reading it: it is left as it is.
func workPanic(v any, w *inflight) *PanicError {
	if p, ok := v.(*PanicError); ok {
		return p
	}
	p := newPanicError(v)
	p.Work = w.kind.String() + " " + w.describe()
	p.Started = w.started()
	return p
}

// libPrefix starts the names of this package's functions in a stack trace.
var libPrefix = func() string {
	name := runtime.FuncForPC(reflect.ValueOf(newPanicError).Pointer()).Name()
	return name[:strings.LastIndex(name, ".")+1]
}()

// userFrames trims a stack as debug.Stack writes it to the frames between
// the runtime's panic frame and the first frame of this package below it,
// the work's entry. A stack with no such frames comes back whole.
func userFrames(stack []byte) []byte {
	lines := strings.Split(strings.TrimRight(string(stack), "\n"), "\n")
	if len(lines) < 3 {
		return stack
	}
	// After the goroutine's header, a frame is a function line and a file
	// line, which starts with a tab.
	type frame struct{ fn, file string }
	var frames []frame
	for i := 1; i+1 < len(lines); i += 2 {
		frames = append(frames, frame{lines[i], lines[i+1]})
	}
	start := 0
	for i, f := range frames {
		if strings.HasPrefix(f.fn, "panic(") {
			start = i + 1
		}
	}
	var b strings.Builder
	b.WriteString(lines[0])
	b.WriteByte('\n')
	n := 0
	for _, f := range frames[start:] {
		if strings.HasPrefix(f.fn, libPrefix) || strings.HasPrefix(f.fn, "created by ") {
			break
		}
		b.WriteString(f.fn + "\n" + f.file + "\n")
		n++
	}
	if n == 0 {
		return stack
	}
	b.WriteString("(the synchronicity package's own frames are left out; PanicError.Stack has them all)\n")
	return []byte(b.String())
}

// Unwrap returns the panic value if it is an error, and nil otherwise.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// newPanicError wraps a recovered value. A *PanicError passing through a second
// task keeps its first stack: that is where the panic happened.
func newPanicError(v any) *PanicError {
	if p, ok := v.(*PanicError); ok {
		return p
	}
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// joinPanics returns the one panic of ps, or for several a *PanicError
// whose Value joins them all (errors.As reaches each) and whose Stack is the
// first's; nil for none.
func joinPanics(ps []*PanicError) *PanicError {
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return ps[0]
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return &PanicError{Value: errors.Join(errs...), Stack: ps[0].Stack}
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

// A panicRecord is one panic and the one observer it has reached, if any:
// its owner, who re-panics with it, or else the loop's handler. Whichever
// comes first has it; an owner who asks after the report gets it as an
// error instead, so that no panic is raised twice.
type panicRecord struct {
	loop  *Loop
	pe    *PanicError
	state atomic.Uint32 // unclaimed, observed or reported
}

const (
	unclaimed uint32 = iota
	observed
	reported
)

// observe claims the panic for its owner and returns it, with whether the
// loop had reported it first.
func (r *panicRecord) observe() (pe *PanicError, wasReported bool) {
	r.state.CompareAndSwap(unclaimed, observed)
	return r.pe, r.state.Load() == reported
}

func (r *panicRecord) done() bool { return r.state.Load() != unclaimed }

// report hands the panic to the loop's handler, unless its owner has
// observed it already, and reports whether it did.
func (r *panicRecord) report() bool {
	// One report at a time per loop, so that Close, reporting what is left,
	// returns only after a report a collector began has been made.
	r.loop.reportMu.Lock()
	defer r.loop.reportMu.Unlock()
	if !r.state.CompareAndSwap(unclaimed, reported) {
		return false
	}
	r.loop.deliver(r.pe)
	return true
}

// deliver hands p to the loop's handler, or writes it to panicOutput.
//
// The handler runs on a goroutine of its own, made here so that it belongs
// to the reporter's testing/synctest bubble, if any: whatever it does —
// panic, call runtime.Goexit, take its time — it cannot end or stall the
// goroutine that reports, which may be Close or the garbage collector's. A
// panic in the handler is written to panicOutput with the report it was
// handling, so that neither is lost.
func (l *Loop) deliver(p *PanicError) {
	h := l.onPanic
	if h == nil {
		l.report(slog.LevelError, "a panic nobody observed", fmt.Sprintf("synchronicity: %v: a panic nobody observed\n%v\n", l, p),
			slog.Any("panic", p.Value), slog.String("work", p.Work), slog.String("stack", string(userFrames(p.Stack))), slog.String("started", p.Started))
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				panicOutput.Lock()
				fmt.Fprintf(panicOutput.w, "synchronicity: %v: the OnPanic handler panicked: %v\n\nwhile handling a panic nobody observed:\n%v\n", l, v, p)
				panicOutput.Unlock()
			}
		}()
		h(p)
	}()
	<-done
}

// A collector is told when the handle it watches has become unreachable
// (see whenCollected).
type collector interface{ collected() }

// collected is called once the future or stream holding the panic is
// unreachable: nobody can observe it any more. It is called on the garbage
// collector's goroutine, which must not wait for a handler: the report
// goes on a goroutine of its own.
func (r *panicRecord) collected() { go r.report() }
