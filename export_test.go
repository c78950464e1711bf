package synchronicity

import (
	"io"
	"time"
)

// SetPanicOutput sends the reports of loops without an OnPanic handler to w
// until restore is called.
func SetPanicOutput(w io.Writer) (restore func()) {
	old := setPanicOutput(w)
	return func() { setPanicOutput(old) }
}

// SetStuckAfter sets how long Close and Shutdown wait for work in flight
// before they report it, until restore is called.
func SetStuckAfter(d time.Duration) (restore func()) {
	old := stuckAfter
	stuckAfter = d
	return func() { stuckAfter = old }
}

// ForceContextFallback makes the tasks of loops made until restore is
// called plain contexts, as when the start-up checks of internals.go fail.
func ForceContextFallback() (restore func()) {
	plain, cause, label := plainContexts, cancelCtxKey, labelKey
	useContextFallback()
	return func() { plainContexts, cancelCtxKey, labelKey = plain, cause, label }
}

// ForceGoidFallback makes goroutine ids unreadable until restore is called,
// as when the start-up check of internals.go fails.
func ForceGoidFallback() (restore func()) {
	off := goidOffset
	goidUnknown, goidOffset = true, 0
	return func() { goidUnknown, goidOffset = false, off }
}

// ForceGoidFromStack makes goroutine ids come from the stack header until
// restore is called, as when the start-up search of internals.go finds no
// offset.
func ForceGoidFromStack() (restore func()) {
	off := goidOffset
	goidOffset = 0
	return func() { goidOffset = off }
}

// ContextsWork and GoidWorks report what the start-up checks found.
func ContextsWork() bool { return !plainContexts }
func GoidWorks() bool    { return !goidUnknown }

// GoidRead reports whether goroutine ids are read from the runtime's
// record, and Goid returns the current one.
func GoidRead() bool { return goidOffset != 0 }
func Goid() uint64   { return goid() }
