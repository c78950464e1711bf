package synchronicity

import (
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Close and Shutdown wait for every piece of the loop's work to return. On
// a serial loop's own goroutine a wait for the loop's own work is told
// apart exactly, and panics at the call (see mustNotBeOwnWork). Everywhere
// else it cannot be told without reading other goroutines' stacks, which
// this package never does; so a Close that has waited stuckAfter for work
// that does not end says once which work it waits for, and goes on waiting.

// stuckAfter is how long Close and Shutdown wait for work in flight before
// they report it.
var stuckAfter = 5 * time.Second

// inflight is one piece of a loop's work in flight, as a long wait of Close
// lists it: what runs, and since when. It lives inside the work's own
// state, so tracking it allocates nothing.
type inflight struct {
	pc    uintptr   // the code of the function that runs, or 0
	name  *string   // else what runs, named
	since int64     // no later than when it started, in nanoseconds after clockBase; see track
	prev  *inflight // in its list, under the list's lock
	next  *inflight
	list  uint8 // which of the loop's lists holds it
	kind  entry // the entry point it came through
}

// entry names the entry point a piece of work came through.
type entry uint8

const (
	viaCall entry = iota
	viaGo
	viaSeq
	viaStart
	viaMap
	viaOnLoop
)

func (e entry) String() string {
	return [...]string{"Call", "Go", "Seq", "Start", "Map", "OnLoop"}[e]
}

// A loop keeps its work in flight in lists, one under each of tableSize
// locks; a piece of work joins a list picked at random and leaves it in
// constant time. Work starting on many cores at once seldom meets at a lock,
// and a fan-out of any size costs each task the same.
const tableSize = 64

type workTable [tableSize]struct {
	mu   sync.Mutex
	head *inflight
}

// clockBase is the zero of inflight.since: a monotonic clock reading.
var clockBase = time.Now()

// now reads the monotonic clock.
func now() int64 { return int64(time.Since(clockBase)) }

// A clock read costs as much as a blocking call on a concurrent loop does
// without it, so a piece of work does not read the clock: it copies the
// loop's last reading, which one start in clockEvery takes afresh. That
// reading is never later than the start, so a report gives each piece of
// work an upper bound on its age: tight on a busy loop, loose on a loop
// whose starts are sparse.
const clockEvery = 32

// track adds w to l's work in flight.
//
// what is the function that runs, or a *string naming what runs. Of a
// function only its code pointer is kept, so that tracking holds on to
// nothing the function captured. w's fields other than its links never
// change once it is listed.
func (l *Loop) track(w *inflight, kind entry, what any) {
	w.kind = kind
	if name, ok := what.(*string); ok {
		w.name = name
	} else {
		w.pc = reflect.ValueOf(what).Pointer()
	}
	r := rand.Uint32()
	if r%clockEvery == 0 {
		l.clock.Store(now())
	}
	w.since = l.clock.Load()
	t := l.work.Load()
	if t == nil {
		t = l.makeTable()
	}
	w.list = uint8(r / clockEvery % tableSize)
	s := &t[w.list]
	s.mu.Lock()
	w.next = s.head
	if w.next != nil {
		w.next.prev = w
	}
	s.head = w
	s.mu.Unlock()
}

// makeTable makes l's table on its first piece of work: a loop made for
// a few calls should not pay for it up front.
func (l *Loop) makeTable() *workTable {
	l.work.CompareAndSwap(nil, new(workTable))
	return l.work.Load()
}

// untrack takes w out of l's work in flight.
func (l *Loop) untrack(w *inflight) {
	s := &l.work.Load()[w.list]
	s.mu.Lock()
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		s.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	}
	s.mu.Unlock()
}

// each calls fn for each piece of l's work in flight.
func (l *Loop) each(fn func(*inflight)) {
	t := l.work.Load()
	if t == nil {
		return
	}
	for i := range t {
		s := &t[i]
		s.mu.Lock()
		for w := s.head; w != nil; w = w.next {
			fn(w)
		}
		s.mu.Unlock()
	}
}

// waitDrained waits until l's work in flight has ended, or done is closed
// (nil for never), reporting once what it waits for if that takes
// stuckAfter. op names the wait in the report. It reports whether the work
// ended.
func (l *Loop) waitDrained(op string, done <-chan struct{}) bool {
	select {
	case <-l.drained:
		return true
	case <-done:
		return false
	default:
	}
	stuck := time.NewTimer(stuckAfter)
	defer stuck.Stop()
	for {
		select {
		case <-l.drained:
			return true
		case <-done:
			return false
		case <-stuck.C:
			l.reportStuck(op)
		}
	}
}

// reportStuck writes which work op has waited for too long.
func (l *Loop) reportStuck(op string) {
	now := now()
	type line struct {
		text string
		age  time.Duration
	}
	var es []line
	l.each(func(w *inflight) {
		age := time.Duration(now - w.since)
		es = append(es, line{fmt.Sprintf("  %v %s, running for at most %v", w.kind, w.describe(), age.Round(time.Millisecond)), age})
	})
	slices.SortStableFunc(es, func(a, b line) int { return int(b.age - a.age) })
	var b strings.Builder
	fmt.Fprintf(&b, "synchronicity: %v.%s has waited %v for work that does not end:\n", l, op, stuckAfter)
	for _, e := range es {
		b.WriteString(e.text)
		b.WriteByte('\n')
	}
	b.WriteString("  (work that waits for this loop to close, such as a Close called from the loop's own work, never ends)\n")
	diagnose(b.String())
}

// describe names what w runs.
func (w *inflight) describe() string {
	if w.name != nil {
		return *w.name
	}
	if f := runtime.FuncForPC(w.pc); f != nil {
		return f.Name()
	}
	return "(unknown)"
}

// diagnose writes a report that is not a panic where loops write the panics
// nobody observed.
func diagnose(msg string) {
	panicOutput.Lock()
	defer panicOutput.Unlock()
	io.WriteString(panicOutput.w, msg)
}
