package synchronicity_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// This file holds the scenarios FuzzSchedule runs: what they are made of,
// how fuzz input bytes decode into one, how one encodes back into bytes (for
// the seed corpus), and how one prints.
//
// Layout of the input: a header of 3 bytes, then up to fzMaxOps operations of
// 4 bytes each; missing bytes read as zero, extra bytes are ignored.
//
//	header: [loop:2 limit:2 onPanic:1 -:3] [close:3 closeAt:3 -:2] [seed]
//	op:     [kind:4 async:1 slow:1 repeat:1 -:1] [fault:2 site:3 at:2 -:1]
//	        [n:3 stop:3 -:2] [variant]
//
// Decoding normalizes: a field that means nothing for an operation's kind
// is mapped onto one that does, and patterns switched off (see fzSwitches)
// are replaced by the nearest pattern that is on, so that the printed
// scenario is exactly what runs.

const fzMaxOps = 6

// fzSwitches are the patterns a scenario may use; SYNC_FUZZ_OFF (a comma
// separated list of these names) switches some off, so that a fuzzing run
// can step past a known failure and look for the next one.
var fzSwitches = []struct{ name, what string }{
	{"limit", "loops made with Limit(n)"},
	{"locked", "LockOSThread loops"},
	{"goexit", "runtime.Goexit in tasks, producers, inputs, bodies, Enter and Exit"},
	{"fatal", "patterns that abort the process when coroutines and locked threads disagree: Goexit run on a LockOSThread loop's goroutine, Map ranged from a locked thread"},
	{"limitdone", "cancellation on a Limit loop (an op's ctx, Future.Cancel, a combinator cancelling the rest), which may find a task's ctx done at its turn"},
	{"mapgoexit", "runtime.Goexit in Map's function or input"},
	{"mappanic", "panics in Map's function or input"},
	{"stackgoexit", "runtime.Goexit in an Exit unwound by an ExitStack"},
	{"selfwait", "Close, Shutdown or a future's result waited for from the loop's own work"},
	{"dropstream", "ranging Start(...).C() without keeping the *Stream"},
	{"ctxstable", "checking that a task's context never changes Err or Cause once done"},
}

var fzOff = sync.OnceValue(func() map[string]bool {
	off := map[string]bool{}
	for _, name := range strings.Split(os.Getenv("SYNC_FUZZ_OFF"), ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		known := false
		for _, s := range fzSwitches {
			known = known || s.name == name
		}
		if !known {
			panic("SYNC_FUZZ_OFF: unknown pattern " + name)
		}
		off[name] = true
	}
	return off
})

func fzOn(name string) bool { return !fzOff()[name] }

type fzLoopKind uint8

const (
	fzConcurrent fzLoopKind = iota
	fzLimited
	fzSerial
	fzLocked
)

type fzCloseKind uint8

const (
	fzCloseEnd           fzCloseKind = iota // wait for every op, then Close
	fzCloseInFlight                         // at the end, Close while async ops may still run, then wait for them
	fzCloseBetween                          // Close before op CloseAt runs
	fzCloseConcurrent                       // Close from another goroutine, started before op CloseAt
	fzShutdownConcurrent                    // Shutdown(Background) from another goroutine, started before op CloseAt
	fzShutdownDone                          // Shutdown with a done ctx before op CloseAt
	fzNumClose
)

type fzOpKind uint8

const (
	fzCall   fzOpKind = iota // Call (or Wrap(...).Call)
	fzGo                     // Go, then Result, Wait, Done or nothing
	fzFan                    // Go × n, then All, Any, Race or AsCompleted
	fzSeq                    // Seq, lockstep or Prefetch
	fzStart                  // Start, drained, ranged via Seq, dropped or abandoned
	fzMap                    // Map
	fzEnter                  // Enter and a deferred exit
	fzDo                     // Do
	fzPush                   // Push onto an ExitStack, unwound by a deferred Unwind
	fzStack                  // an ExitStack of two managers and a deferred function
	fzNested                 // a task that calls into the loop
	fzNumOps
)

// fzFault is what an operation injects at its fault site.
type fzFault uint8

const (
	fzNone fzFault = iota
	fzErr
	fzPanic
	fzGoexit
)

// fzSite is where the fault fires.
type fzSite uint8

const (
	fzTask   fzSite = iota // the task; Map's function; a nested task's outer call
	fzSource               // the producer; Map's input; a nested task's inner call
	fzBody                 // the range body, or the body run inside a manager
	fzEnterS               // a manager's Enter (the setup half of a Scoped function)
	fzExitS                // a manager's Exit (the teardown half of a Scoped function)
)

// fzStop is what ends an operation early, if anything.
type fzStop uint8

const (
	fzRun          fzStop = iota // nothing
	fzBreak                      // the consumer stops at item At
	fzCancelAt                   // the consumer cancels the op's ctx at item At (or right after starting)
	fzCancelAsync                // another goroutine cancels the op's ctx after a few scheduling points
	fzCancelBefore               // the op's ctx is done before the op starts
	fzCancelFuture               // Future.Cancel (or Stream.Stop at item At)
	fzNumStops
)

// fzOp is one operation of a scenario.
type fzOp struct {
	Kind   fzOpKind
	Async  bool // runs in flight while the next ops run
	Slow   bool // a task or producer waits for its ctx to end (only where something ends it)
	Repeat bool // the fault fires at item At and at every later one
	Fault  fzFault
	Site   fzSite
	At     uint8 // 0 first item, 1 middle item, 2 last item
	N      uint8 // items (0..7); futures for Fan (1..4)
	Stop   fzStop
	Var    uint8 // the kind's variant; see fzOp.String
}

// fzScenario is a loop and the operations run on it.
type fzScenario struct {
	Loop    fzLoopKind
	Limit   uint8 // 1..3, for fzLimited
	OnPanic bool
	Handler fzHandlerKind // what the OnPanic handler does once it has recorded a report
	Close   fzCloseKind
	CloseAt uint8 // 0..len(Ops)
	Seed    uint8 // scheduling jitter
	Ops     []fzOp
}

// Variants.
const (
	// Go: how the future is observed (low 2 bits); fzViaWrap uses Wrap.
	fzResult, fzWait, fzDone, fzDrop = 0, 1, 2, 3
	// Fan: the combinator.
	fzAll, fzAny, fzRace, fzAsCompleted = 0, 1, 2, 3
	// Start: how the stream is consumed (low 2 bits); prefetch in bits 3-4.
	fzDrain, fzRangeSeq, fzDropped, fzAbandon = 0, 1, 2, 3
	// Map: bit flags; Workers(n) in bits 2-3.
	fzUnordered, fzStopOnError = 1, 2
	// Enter, Do, With: the manager (low 2 bits); Stack: the second
	// manager in bits 2-3, fzUnwind in bit 4. fzCross (Enter, Stack): the
	// use crosses between a task of the loop and the op's goroutine (on a
	// LockOSThread loop, between thread-lock states): Enter in a task and
	// exit outside; Push outside and Close in a task.
	fzPlain, fzScoped, fzOnLoop, fzOnLoopScoped = 0, 1, 2, 3
	fzUnwind                                    = 16
	fzCross                                     = 32
	// Seq: Prefetch(n) in the low 2 bits; Call, Go: fzViaWrap.
	fzViaWrap = 4
	// Nested: what the task does on the loop.
	fzInCall, fzInSeq, fzInMap, fzInGo, fzInClose, fzInForeignMap, fzInShutdown = 0, 1, 2, 3, 4, 5, 6
)

func fzWorkers(n int) uint8  { return uint8(n) << 2 }
func fzPrefetch(n int) uint8 { return uint8(n) << 3 }
func fzSecond(m int) uint8   { return uint8(m) << 2 }

// sites lists the fault sites that mean something for an op kind.
func (k fzOpKind) sites() []fzSite {
	switch k {
	case fzCall, fzGo, fzFan:
		return []fzSite{fzTask}
	case fzSeq, fzStart:
		return []fzSite{fzSource, fzBody}
	case fzMap:
		return []fzSite{fzTask, fzSource, fzBody}
	case fzEnter, fzDo, fzPush, fzStack:
		return []fzSite{fzEnterS, fzExitS, fzBody}
	default: // fzNested
		return []fzSite{fzTask, fzSource}
	}
}

// stops lists the stops that mean something for an op kind; the others
// map onto them.
func (k fzOpKind) stops() []fzStop {
	switch k {
	case fzCall:
		return []fzStop{fzRun, fzCancelAsync, fzCancelBefore}
	case fzGo, fzFan:
		return []fzStop{fzRun, fzCancelAt, fzCancelAsync, fzCancelBefore, fzCancelFuture}
	case fzStart:
		return []fzStop{fzRun, fzBreak, fzCancelAt, fzCancelAsync, fzCancelBefore, fzCancelFuture}
	default:
		return []fzStop{fzRun, fzBreak, fzCancelAt, fzCancelAsync, fzCancelBefore}
	}
}

func fzPick[T comparable](v T, valid []T, raw int) T {
	for _, w := range valid {
		if w == v {
			return v
		}
	}
	return valid[raw%len(valid)]
}

type fzBytes struct {
	b []byte
	i int
}

func (s *fzBytes) next() byte {
	if s.i >= len(s.b) {
		return 0
	}
	s.i++
	return s.b[s.i-1]
}

// fzDecode turns fuzz input into a scenario.
func fzDecode(data []byte) fzScenario {
	in := &fzBytes{b: data}
	var sc fzScenario
	h := in.next()
	sc.Loop = fzLoopKind(h & 3)
	sc.Limit = 1 + (h>>2&3)%3
	sc.OnPanic = h&16 != 0
	if sc.OnPanic {
		sc.Handler = fzHandlerKind(h >> 5 & 3)
	}
	h = in.next()
	sc.Close = fzCloseKind(h&7) % fzNumClose
	sc.CloseAt = h >> 3 & 7
	sc.Seed = in.next()
	for n := min(fzMaxOps, (len(data)-3)/4); len(sc.Ops) < n; {
		var o fzOp
		b := in.next()
		o.Kind = fzOpKind(b&15) % fzNumOps
		o.Async, o.Slow, o.Repeat = b&16 != 0, b&32 != 0, b&64 != 0
		b = in.next()
		o.Fault = fzFault(b & 3)
		o.Site = fzSite(b >> 2 & 7)
		o.At = (b >> 5 & 3) % 3
		b = in.next()
		o.N = b & 7
		o.Stop = fzStop(b>>3&7) % fzNumStops
		o.Var = in.next()
		sc.Ops = append(sc.Ops, o)
	}
	sc.normalize()
	return sc
}

// normalize maps every field onto one that means something, and switched
// off patterns onto ones that are on.
func (sc *fzScenario) normalize() {
	if sc.Loop == fzLimited && !fzOn("limit") {
		sc.Loop = fzConcurrent
	}
	if sc.Loop == fzLocked && !fzOn("locked") {
		sc.Loop = fzSerial
	}
	if sc.Loop != fzLimited {
		sc.Limit = 0
	} else {
		sc.Limit = 1 + (sc.Limit-1)%3
	}
	sc.CloseAt = min(sc.CloseAt, uint8(len(sc.Ops)))
	if sc.Close == fzCloseEnd || sc.Close == fzCloseInFlight {
		sc.CloseAt = 0
	}
	for i := range sc.Ops {
		sc.Ops[i] = sc.normalizeOp(sc.Ops[i])
	}
}

func (sc *fzScenario) normalizeOp(o fzOp) fzOp {
	o.Kind %= fzNumOps
	o.At %= 3
	o.N &= 7
	if o.Kind == fzFan {
		o.N = 1 + o.N%4
	}
	o.Fault &= 3
	o.Site = fzPick(o.Site, o.Kind.sites(), int(o.Site))
	o.Stop = fzPick(o.Stop, o.Kind.stops(), int(o.Stop))
	switch o.Kind {
	case fzCall, fzGo, fzEnter, fzDo, fzPush, fzStack:
		o.N = 0 // one task, or managers: no items
		if o.Kind != fzStack {
			o.At = 0
		}
	}
	switch o.Kind {
	case fzCall:
		o.Var &= fzViaWrap
	case fzGo:
		o.Var &= 3 | fzViaWrap
	case fzFan:
		o.Var &= 3
		if o.Var != fzAsCompleted && o.Stop == fzBreak {
			o.Stop = fzRun
		}
	case fzSeq:
		o.Var &= 3
	case fzStart:
		o.Var &= 3 | 3<<3
	case fzMap:
		o.Var &= 15
	case fzEnter:
		o.Var &= 3 | sc.cross()
	case fzDo, fzPush:
		o.Var &= 3
	case fzStack:
		o.Var &= 15 | fzUnwind | sc.cross()
		if o.Var&fzCross != 0 {
			o.Var &^= fzUnwind
		}
	case fzNested:
		o.Var %= 7
		if sc.Loop == fzLimited && (o.Var == fzInCall || o.Var == fzInMap || o.Var == fzInGo) {
			// A task waiting for another task of a Limit loop keeps its
			// turn: with every turn taken that way, they deadlock, as
			// documented.
			o.Var = fzInSeq
		}
		serial := sc.Loop == fzSerial || sc.Loop == fzLocked
		if !fzOn("selfwait") && (o.Var == fzInClose || o.Var == fzInShutdown || o.Var == fzInGo && serial) {
			o.Var = fzInSeq
		}
		if !serial && (o.Var == fzInClose || o.Var == fzInShutdown) {
			// Only a serial loop's goroutine is told apart: elsewhere a
			// Close from the loop's own work waits for ever, and is only
			// reported (see TestStuckCloseReports).
			o.Var = fzInSeq
		}
		if o.Var == fzInForeignMap && sc.Loop == fzLocked && !fzOn("fatal") {
			o.Var = fzInMap
		}
	}
	if o.Kind != fzFan && o.Kind != fzNested && o.Kind != fzSeq && o.Kind != fzStart && o.Kind != fzMap {
		o.Repeat = false
	}
	if o.Kind == fzStart && o.Var&3 == fzDropped && !fzOn("dropstream") {
		o.Var &^= 3
	}
	if o.Fault == fzNone {
		o.Site, o.Repeat = o.Kind.sites()[0], false
	}
	// Map's function or input: in a Map op, or in a nested task's inner Map.
	inMap := o.Kind == fzMap && o.Site != fzBody ||
		o.Kind == fzNested && o.Site == fzSource && (o.Var == fzInMap || o.Var == fzInForeignMap)
	if o.Fault == fzGoexit {
		switch {
		case !fzOn("goexit"),
			inMap && !fzOn("mapgoexit"),
			sc.Loop == fzLocked && o.Site != fzBody && !fzOn("fatal"),
			o.Kind == fzStack && o.Site == fzExitS && !fzOn("stackgoexit"):
			o.Fault = fzPanic
		}
	}
	if o.Fault == fzPanic && inMap && !fzOn("mappanic") {
		o.Fault = fzErr
	}
	if sc.Loop == fzLimited && !fzOn("limitdone") {
		if o.Stop != fzBreak {
			o.Stop = fzRun
		}
		if o.Kind == fzFan {
			// Any and Race cancel the rest, and so does All once one fails
			// and AsCompleted once its body stops.
			if o.Var != fzAll || o.Fault != fzNone {
				o.Var = fzAsCompleted
			}
			if o.Fault != fzNone {
				o.Fault = fzErr
			}
			o.Stop = fzRun
		}
	}
	// Waiting for a ctx only where something ends it.
	o.Slow = o.Slow && (o.Stop == fzCancelAsync || o.Stop == fzCancelFuture && o.Kind == fzGo)
	return o
}

// cross is fzCross where a use may cross into a task of the loop. Not with
// Limit: the task would hold a turn while OnLoop's Enter waits for one,
// and with Limit(1) they deadlock, as documented.
func (sc *fzScenario) cross() uint8 {
	if sc.Loop == fzLimited {
		return 0
	}
	return fzCross
}

// encode turns a scenario back into fuzz input (for seeds).
func (sc fzScenario) encode() []byte {
	b := []byte{
		byte(sc.Loop) | (max(sc.Limit, 1)-1)<<2 | fzBit(sc.OnPanic, 16) | byte(sc.Handler)<<5,
		byte(sc.Close) | sc.CloseAt<<3,
		sc.Seed,
	}
	for _, o := range sc.Ops {
		b = append(b,
			byte(o.Kind)|fzBit(o.Async, 16)|fzBit(o.Slow, 32)|fzBit(o.Repeat, 64),
			byte(o.Fault)|byte(o.Site)<<2|o.At<<5,
			o.N|byte(o.Stop)<<3,
			o.Var)
	}
	return b
}

func fzBit(b bool, v byte) byte {
	if b {
		return v
	}
	return 0
}

// fzHandlerKind is what an OnPanic handler does after it has recorded a
// report: none of it may lose or repeat a report, end the process or stall
// Close.
type fzHandlerKind uint8

const (
	fzHandlerReturns fzHandlerKind = iota
	fzHandlerPanics
	fzHandlerExits // runtime.Goexit
	fzHandlerYields
)

var fzHandlerNames = []string{"returns", "panics", "calls Goexit", "yields the processor"}

var (
	fzLoopNames  = []string{"concurrent", "Limit", "Serial", "LockOSThread"}
	fzCloseNames = []string{"Close at the end", "Close at the end, ops in flight", "Close before op", "Close from another goroutine before op", "Shutdown from another goroutine before op", "Shutdown(done ctx) before op"}
	fzKindNames  = []string{"Call", "Go", "Fan", "Seq", "Start", "Map", "Enter", "Do", "Push", "ExitStack", "Nested"}
	fzFaultNames = []string{"none", "error", "panic", "Goexit"}
	fzSiteNames  = []string{"task", "source", "body", "Enter", "Exit"}
	fzStopNames  = []string{"run", "break", "cancel ctx", "cancel ctx from another goroutine", "ctx done before", "Cancel/Stop"}
	fzAtNames    = []string{"first", "middle", "last"}
	fzCMNames    = []string{"plain", "Scoped", "OnLoop(plain)", "OnLoop(Scoped)"}
	fzNestNames  = []string{"Call", "Seq", "Map", "Go+Result", "Close", "Map on another loop", "Shutdown"}
)

func (sc fzScenario) String() string {
	var b strings.Builder
	b.WriteString(fzLoopNames[sc.Loop])
	if sc.Loop == fzLimited {
		fmt.Fprintf(&b, "(%d)", sc.Limit)
	}
	if sc.OnPanic {
		b.WriteString(" OnPanic")
		if sc.Handler != fzHandlerReturns {
			fmt.Fprintf(&b, "(handler %s)", fzHandlerNames[sc.Handler])
		}
	}
	fmt.Fprintf(&b, ", %s", fzCloseNames[sc.Close])
	if sc.Close >= fzCloseBetween {
		fmt.Fprintf(&b, " %d", sc.CloseAt)
	}
	fmt.Fprintf(&b, ", seed %d", sc.Seed)
	for i, o := range sc.Ops {
		fmt.Fprintf(&b, "; %d: %v", i, o)
	}
	return b.String()
}

func (o fzOp) String() string {
	var b strings.Builder
	b.WriteString(fzKindNames[o.Kind])
	var args []string
	n := fmt.Sprintf("n=%d", o.N)
	wrap := func() {
		if o.Var&fzViaWrap != 0 {
			args = append(args, "via Wrap")
		}
	}
	switch o.Kind {
	case fzCall:
		wrap()
	case fzGo:
		args = append(args, []string{"Result", "Wait", "Done+Result", "dropped"}[o.Var&3])
		wrap()
	case fzFan:
		args = append(args, n, []string{"All", "Any", "Race", "AsCompleted"}[o.Var&3])
	case fzSeq:
		args = append(args, n)
		if p := o.Var & 3; p == 0 {
			args = append(args, "lockstep")
		} else {
			args = append(args, fmt.Sprintf("Prefetch(%d)", p))
		}
		wrap()
	case fzStart:
		args = append(args, n, []string{"drain C", "range Seq", "range Start().C() dropped", "abandoned"}[o.Var&3])
		if p := o.Var >> 3 & 3; p != 0 {
			args = append(args, fmt.Sprintf("Prefetch(%d)", p))
		}
	case fzMap:
		args = append(args, n)
		if o.Var&fzUnordered != 0 {
			args = append(args, "Unordered")
		}
		if o.Var&fzStopOnError != 0 {
			args = append(args, "StopOnError")
		}
		if w := o.Var >> 2 & 3; w != 0 {
			args = append(args, fmt.Sprintf("Prefetch(%d)", w))
		}
	case fzEnter, fzDo, fzPush:
		args = append(args, fzCMNames[o.Var&3])
		if o.Var&fzCross != 0 {
			args = append(args, "entered in a task")
		}
	case fzStack:
		args = append(args, fzCMNames[o.Var&3], fzCMNames[o.Var>>2&3])
		switch {
		case o.Var&fzCross != 0:
			args = append(args, "deferred Close in a task")
		case o.Var&fzUnwind != 0:
			args = append(args, "deferred Unwind")
		default:
			args = append(args, "deferred Close")
		}
	case fzNested:
		args = append(args, n, fzNestNames[o.Var])
	}
	fmt.Fprintf(&b, "(%s)", strings.Join(args, ", "))
	if o.Fault != fzNone {
		fmt.Fprintf(&b, " %s in %s", fzFaultNames[o.Fault], fzSiteNames[o.Site])
		if o.Kind != fzCall && o.Kind != fzGo {
			fmt.Fprintf(&b, " at %s", fzAtNames[o.At])
			if o.Repeat {
				b.WriteString(" and after")
			}
		}
	}
	if o.Stop != fzRun {
		fmt.Fprintf(&b, ", %s", fzStopNames[o.Stop])
		if o.Stop == fzBreak || o.Stop == fzCancelAt && o.Kind != fzGo && o.Kind != fzFan {
			fmt.Fprintf(&b, " at %s", fzAtNames[o.At])
		}
	}
	if o.Slow {
		b.WriteString(", slow")
	}
	if o.Async {
		b.WriteString(", async")
	}
	return b.String()
}
