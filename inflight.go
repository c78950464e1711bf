package synchronicity

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
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
	label *knownAs  // what it is known by beyond that, if anything
	since int64     // no later than when it started, in nanoseconds after clockBase; see track
	began int64     // when it got its turn, if timed
	prev  *inflight // in its list, under the list's lock
	next  *inflight
	list  uint8   // which of the loop's lists holds it
	kind  entry   // the entry point it came through
	end   outcome // how it ended, set before untrack
	timed bool    // since is an exact reading: Stats times it (see clockEvery)
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
// locks; a piece of work joins a list picked as at random (see spread) and
// leaves it in constant time. Work starting on many cores at once seldom
// meets at a lock, and a fan-out of any size costs each task the same.
const (
	tableBits = 6
	tableSize = 1 << tableBits
)

type workTable [tableSize]shard

// A shard is one list of a loop's work in flight, with the counts Stats
// adds up, kept under its lock: counting costs no atomic operation of its
// own, and no cache line is shared between shards.
type shard struct {
	mu      sync.Mutex
	head    *inflight
	started uint64
	ended   [outcomes]uint64
	_       [64 - 8 - 8 - 8 - 8*outcomes]byte
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
const (
	clockBits  = 5
	clockEvery = 1 << clockBits
)

// track adds w to l's work in flight.
//
// what is the function that runs, or a *knownAs naming what runs. Of a
// function only its code pointer is kept, so that tracking holds on to
// nothing the function captured. w's fields other than its links never
// change once it is listed.
func (l *Loop) track(ctx context.Context, w *inflight, kind entry, what any) {
	w.kind = kind
	if lb, ok := what.(*knownAs); ok {
		w.label = lb
	} else {
		w.pc = reflect.ValueOf(what).Pointer()
	}
	if l.noting() {
		l.note(ctx, w)
	}
	h := spread(w)
	if h>>(64-clockBits) == 0 { // one in clockEvery
		l.clock.Store(now())
		w.timed = true
	}
	w.since = l.clock.Load()
	t := l.work.Load()
	if t == nil {
		t = l.makeTable()
	}
	w.list = uint8(h >> (64 - clockBits - tableBits) % tableSize)
	s := &t[w.list]
	s.mu.Lock()
	w.next = s.head
	if w.next != nil {
		w.next.prev = w
	}
	s.head = w
	s.started++
	s.mu.Unlock()
}

// spread returns well-mixed bits of w's address (Fibonacci hashing), which
// pick its list and whether it is timed: each piece of work is a new
// allocation, so consecutive pieces spread evenly over the lists and one in
// clockEvery is timed, for a multiplication instead of a draw from the
// runtime's generator. Which pieces are timed follows from where they live,
// not from chance.
func spread(w *inflight) uint64 {
	return uint64(uintptr(unsafe.Pointer(w))) * 0x9E3779B97F4A7C15
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
	s.ended[w.end&(outcomes-1)]++
	s.mu.Unlock()
	if w.timed {
		l.timeWork(w)
	}
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
	stuck := time.NewTimer(l.stuckAfter())
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

// stuckAfter is how long Close and Shutdown wait before they report.
func (l *Loop) stuckAfter() time.Duration {
	if l.slow > 0 {
		return l.slow
	}
	return stuckAfter
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
		text := fmt.Sprintf("  %v %s, running for at most %v\n", w.kind, w.describe(), age.Round(time.Millisecond))
		if site := w.started(); site != "" {
			text += "  started at:\n" + indent(site, "    ")
		}
		es = append(es, line{text, age})
	})
	slices.SortStableFunc(es, func(a, b line) int { return int(b.age - a.age) })
	var work strings.Builder
	for _, e := range es {
		work.WriteString(e.text)
	}
	const hint = "work that waits for this loop to close, such as a Close called from the loop's own work, never ends"
	text := fmt.Sprintf("synchronicity: %v.%s has waited %v for work that does not end:\n%s  (%s)\n", l, op, l.stuckAfter(), work.String(), hint)
	l.report(slog.LevelWarn, op+" waits for work that does not end", text,
		slog.Duration("waited", l.stuckAfter()), slog.Int("pieces", len(es)), slog.String("work", work.String()), slog.String("hint", hint))
}

// indent prefixes each line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+prefix) + "\n"
}

// diagnose writes a report that is not a panic where loops write the panics
// nobody observed.
func diagnose(msg string) {
	panicOutput.Lock()
	defer panicOutput.Unlock()
	io.WriteString(panicOutput.w, msg)
}
