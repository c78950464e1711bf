package synchronicity

import (
	"context"
	"runtime"
	"runtime/pprof"
)

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

// labelsOnly answers every lookup with the loop's pprof labels: a goroutine
// that starts a task takes them in one step, where a search through the
// loop's context would compare keys at each of its layers.
type labelsOnly struct {
	context.Context
	labels any
}

func (c labelsOnly) Value(any) any { return c.labels }

// goid returns the current goroutine's id, parsed from its stack header
// ("goroutine 18 [running]:").
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = b[len("goroutine "):]
	var id uint64
	for _, c := range b {
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
