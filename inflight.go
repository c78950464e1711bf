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
	"sync/atomic"
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
	pc    uintptr // the code of the function that runs, or 0
	name  *string // else what runs, named
	since int64   // no later than when it started, in nanoseconds after clockBase; see track
	slot  int32   // its place in the loop's table, or overflowed
	kind  entry   // the entry point it came through
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

// A loop keeps its work in flight in a table of slots that a piece of work
// claims with one compare-and-swap at a random place, and frees with one
// store: no lock, and tasks starting on many cores at once seldom touch the
// same cache line. Work that finds no free slot near its place goes to a
// list under a lock.
const (
	tableSize = 256
	probes    = 4
)

type workTable struct {
	slots [tableSize]atomic.Pointer[inflight]
	mu    sync.Mutex
	more  map[*inflight]struct{} // the rest, when the table is crowded
}

// overflowed is the inflight.slot of work in workTable.more.
const overflowed = -1

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
// nothing the function captured, and w's fields never change once it is in
// the table: a report reads them without a lock.
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
	i := int(r / clockEvery)
	for range probes {
		i &= tableSize - 1
		if t.slots[i].CompareAndSwap(nil, w) {
			w.slot = int32(i)
			return
		}
		i++
	}
	w.slot = overflowed
	t.mu.Lock()
	if t.more == nil {
		t.more = make(map[*inflight]struct{})
	}
	t.more[w] = struct{}{}
	t.mu.Unlock()
}

// makeTable makes l's table on its first piece of work: a loop made for
// a few calls should not pay for it up front.
func (l *Loop) makeTable() *workTable {
	l.work.CompareAndSwap(nil, new(workTable))
	return l.work.Load()
}

// untrack takes w out of l's work in flight.
func (l *Loop) untrack(w *inflight) {
	t := l.work.Load()
	if w.slot >= 0 {
		t.slots[w.slot].Store(nil)
		return
	}
	t.mu.Lock()
	if delete(t.more, w); len(t.more) == 0 {
		t.more = nil // a map keeps its size: let a fan-out's go
	}
	t.mu.Unlock()
}

// each calls fn for each piece of l's work in flight.
func (l *Loop) each(fn func(*inflight)) {
	t := l.work.Load()
	if t == nil {
		return
	}
	for i := range t.slots {
		if w := t.slots[i].Load(); w != nil {
			fn(w)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for w := range t.more {
		fn(w)
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
