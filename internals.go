package synchronicity

import (
	"context"
	"errors"
	"iter"
	"math/bits"
	"runtime"
	"runtime/pprof"
	"unsafe"
)

// What the library relies on beyond the standard library's documented API
// is all in this file, each reliance checked when the package starts, with
// a fallback that keeps every promise when a check fails:
//
//   - context.Cause finds a context's cause by asking Value for the context
//     package's private key (cancelCtxKey). A task answers it, to report
//     its loop's cause (ErrClosed) or errStopped without a context of the
//     context package behind it.
//   - runtime/pprof keeps a context's labels under a private key
//     (labelKey), which WithLabels and SetGoroutineLabels ask Value for. A
//     task answers it with its loop's labels over its parent's, and
//     labelsOnly hands a goroutine its loop's labels in one lookup.
//   - WithCancel and its kin, deriving from a parent that has an AfterFunc
//     method, register through it instead of starting a goroutine, as
//     context.AfterFunc documents it does (task.AfterFunc). Only cost
//     depends on it: without it, a context derived from a live task costs
//     a goroutine while both live.
//   - The header of runtime.Stack ("goroutine 18 [running]:") holds the
//     calling goroutine's id: how a serial loop recognises its own
//     goroutine. Reading it formats a traceback, a microsecond or more,
//     so on amd64 and arm64 the id is read where the runtime keeps it: a
//     word of the goroutine's runtime record (getg_$GOARCH.s returns the
//     record, as the runtime's own getg does). Its offset is found at
//     start-up by looking for the id the stack header gives, and kept
//     only if the same offset holds the id of two other goroutines, one
//     of them a coroutine of iter.Pull, and nothing else there does.
//
// Both keys are learned by probing, and the package's init checks that a
// task ended by its loop reports ErrClosed, that contexts derived from a
// task hear the same cause, and that labels come through. If not, every
// task's context is a plain context.WithCancelCause context under the
// loop's (plainContexts): correct, one or two allocations dearer, and,
// like any context derived from a parent outside the context package,
// told of that parent's end (and then of its loop's) by the context
// package's goroutine, a moment after it happens.
//
// If the offset is not found, goid reads the stack header; if that
// cannot be read either, goid returns 0 and no goroutine counts
// as a serial loop's own (goidUnknown): a blocking call from a serial
// loop's own work then waits behind that work for ever, and Close and
// Shutdown called there are reported as stuck instead of panicking.
var (
	plainContexts bool
	goidUnknown   bool
	goidOffset    uintptr // of the id in a goroutine's runtime record; 0: unknown
)

func init() {
	if !contextsWork() {
		useContextFallback()
	}
	goidUnknown = !goidWorks()
	if !goidUnknown {
		goidOffset = findGoidOffset()
	}
}

// useContextFallback gives up both probed keys: no lookup matches them.
func useContextFallback() {
	plainContexts = true
	cancelCtxKey, labelKey = noKey{}, noKey{}
}

type noKey struct{}

// contextsWork reports whether tasks answer the context package and
// runtime/pprof as they must, checking a task of a stand-in loop.
func contextsWork() bool {
	if cancelCtxKey == nil || labelKey == nil {
		return false
	}
	l := &Loop{labels: pprof.Labels("synchronicity.check", "loop")}
	loopCtx, closeLoop := context.WithCancelCause(context.Background())
	defer closeLoop(nil)
	l.ctx = context.WithValue(pprof.WithLabels(loopCtx, l.labels), loopKey{}, l)
	parent, cancel := context.WithCancel(pprof.WithLabels(context.Background(), pprof.Labels("check.parent", "p")))
	defer cancel()
	var apart, under, halted task
	apart.init(parent, l)
	under.init(context.Background(), l)
	halted.init(context.Background(), l)
	labeled := labelsOnly{l.ctx, l.ctx.Value(labelKey)}
	if label(&apart, "check.parent") != "p" || label(&apart, "synchronicity.check") != "loop" ||
		label(&under, "synchronicity.check") != "loop" || label(labeled, "synchronicity.check") != "loop" {
		return false
	}
	closeLoop(ErrClosed)
	halted.stop()
	// A context derived from an ended one ends at once, with its cause.
	child, cancelChild := context.WithCancel(&apart)
	defer cancelChild()
	return context.Cause(&apart) == ErrClosed && context.Cause(child) == ErrClosed &&
		context.Cause(&under) == ErrClosed && context.Cause(&halted) == errStopped &&
		apart.Err() == context.Canceled && errors.Is(child.Err(), context.Canceled)
}

func label(ctx context.Context, key string) string {
	v, _ := pprof.Label(ctx, key)
	return v
}

// goidWorks reports whether goid tells goroutines apart.
func goidWorks() bool {
	other := make(chan uint64)
	go func() { other <- goid() }()
	mine, theirs := goid(), <-other
	return mine != 0 && theirs != 0 && mine != theirs && goid() == mine
}

// goid returns the current goroutine's id, or 0 if it cannot be read.
func goid() uint64 {
	if goidOffset != 0 {
		return *(*uint64)(unsafe.Add(getg(), goidOffset))
	}
	return stackGoid()
}

// findGoidOffset returns the offset of the id in a goroutine's runtime
// record (see goid), or 0 if it cannot be told.
func findGoidOffset() uintptr {
	if getg() == nil {
		return 0
	}
	// Where the id is on this goroutine, on another and on a coroutine, as
	// a producer runs in: each looks at its own record while it runs, since
	// an ended goroutine's record is reused.
	found := make(chan uint32, 1)
	go func() { found <- goidOffsets() }()
	next, stop := iter.Pull(func(yield func(uint32) bool) { yield(goidOffsets()) })
	coro, _ := next()
	stop()
	at := goidOffsets() & <-found & coro
	if bits.OnesCount32(at) != 1 {
		return 0 // none, or more than one: none is trusted
	}
	return uintptr(bits.TrailingZeros32(at)) * 8
}

// goidOffsets returns the set of offsets, as bits of their number of words,
// at which the running goroutine's record holds its id, among its first 32
// words but the first (the record is larger).
func goidOffsets() uint32 {
	g, id := getg(), stackGoid()
	var set uint32
	for i := 1; i < 32; i++ {
		if *(*uint64)(unsafe.Add(g, i*8)) == id {
			set |= 1 << i
		}
	}
	return set
}

// stackGoid returns the current goroutine's id, parsed from its stack
// header ("goroutine 18 [running]:"), or 0 if it cannot be read.
func stackGoid() uint64 {
	if goidUnknown {
		return 0
	}
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) <= len(prefix) || string(b[:len(prefix)]) != prefix {
		return 0
	}
	var id uint64
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// cancelCtxKey is the context package's private key for finding a
// cancelCtx, which context.Cause passes to Value. A probe context records
// it, so that a task can answer Cause correctly.
var cancelCtxKey = probeKey(func(ctx context.Context) { context.Cause(ctx) })

// labelKey is runtime/pprof's private key for a context's labels, which
// pprof.WithLabels looks up to merge with, so that a task can answer with
// its loop's labels added to its parent's.
var labelKey = probeKey(func(ctx context.Context) { pprof.WithLabels(ctx, pprof.Labels("k", "v")) })

// probeKey returns the first key that use looks up in a context.
func probeKey(use func(context.Context)) (key any) {
	use(keyProbe{context.Background(), func(k any) {
		if key == nil {
			key = k
		}
	}})
	return key
}

type keyProbe struct {
	context.Context
	seen func(any)
}

func (keyProbe) Err() error { return context.Canceled } // since Go 1.26 Cause looks up the key only for an ended context

func (p keyProbe) Value(key any) any {
	p.seen(key)
	return nil
}

// withLoop gives a parent context that is never cancelled the loop's
// cancellation, keeping the parent's values. Because Done and the context
// package's internal lookups resolve to the loop's own cancelCtx, contexts
// derived from it register with the loop's context directly: no goroutine.
type withLoop struct {
	context.Context // the loop's
	values          context.Context
}

func (c withLoop) Value(key any) any {
	if key == labelKey {
		return c.Context.Value(loopKey{}).(*Loop).labelsOver(c.values)
	}
	if v := c.values.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}

// labelsOver returns what a context answers for pprof's label key that has
// ctx's labels and the loop's: work of the loop carries them, also where a
// profiled goroutine sets its labels from a task's context (pprof.Do, or
// a nested call restoring them when it returns).
func (l *Loop) labelsOver(ctx context.Context) any {
	return pprof.WithLabels(ctx, l.labels).Value(labelKey)
}

// wearLabels gives the current goroutine the loop's pprof labels, as work
// of the loop.
func (l *Loop) wearLabels() { pprof.SetGoroutineLabels(l.labeled) }

// labeledCtx returns the context that wearLabels sets a goroutine's labels
// from: a labelsOnly, or with plain contexts the loop's own.
func (l *Loop) labeledCtx() context.Context {
	if plainContexts {
		return l.ctx
	}
	return labelsOnly{l.ctx, l.ctx.Value(labelKey)}
}

// labelsOnly answers every lookup with the loop's pprof labels: a goroutine
// that starts a task takes them in one step, where a search through the
// loop's context would compare keys at each of its layers.
type labelsOnly struct {
	context.Context
	labels any
}

func (c labelsOnly) Value(any) any { return c.labels }

// plain returns, for plainContexts, a task's parent: a context of the
// context package with parent's values and deadline and the loop's labels,
// ended by parent, by the loop (with the loop's cause) or by cancel.
func (l *Loop) plain(parent context.Context) (context.Context, context.CancelCauseFunc) {
	return l.bind(pprof.WithLabels(parent, l.labels))
}
