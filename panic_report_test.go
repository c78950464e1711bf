package synchronicity_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// handled records what an OnPanic handler was given, and misbehaves for
// the panics it is told to: it panics itself, or calls runtime.Goexit.
type handled struct {
	mu     sync.Mutex
	values []any
	got    chan struct{}
	panics map[any]bool // panic in the handler for these values
	exits  map[any]bool // runtime.Goexit in the handler for these
}

func newHandled() *handled {
	return &handled{got: make(chan struct{}, 100), panics: map[any]bool{}, exits: map[any]bool{}}
}

func (h *handled) handle(p *sy.PanicError) {
	h.mu.Lock()
	h.values = append(h.values, p.Value)
	h.mu.Unlock()
	h.got <- struct{}{}
	switch {
	case h.panics[p.Value]:
		panic(fmt.Sprint("handler failed on ", p.Value))
	case h.exits[p.Value]:
		runtime.Goexit()
	}
}

func (h *handled) sorted() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, v := range h.values {
		out = append(out, fmt.Sprint(v))
	}
	slices.Sort(out)
	return out
}

func panicking(v string) func(context.Context) (int, error) {
	return func(context.Context) (int, error) { panic(v) }
}

// dropPanicked starts a future that panics with v, waits for it to settle
// and drops it, so that only the garbage collector can report its panic.
func dropPanicked(l *sy.Loop, v string) {
	f := sy.Go(context.Background(), l, panicking(v))
	<-f.Done()
}

// A handler that panics or calls runtime.Goexit while the garbage collector
// reports dropped futures' panics neither ends the process nor stops later
// reports: each report reaches the handler, and the handler's own panic is
// written to standard error with the report it was handling.
func TestOnPanicHandlerMisbehavingOnCollection(t *testing.T) {
	out := captureReports(t)
	h := newHandled()
	h.panics["first"], h.exits["second"] = true, true
	l := sy.New(sy.OnPanic(h.handle))
	for _, v := range []string{"first", "second", "third"} {
		dropPanicked(l, v)
	}
	for n := 0; n < 3; {
		runtime.GC()
		select {
		case <-h.got:
			n++
		default:
			runtime.Gosched()
		}
	}
	require.NoError(t, l.Close(), "every panic was reported before Close")
	assert.Equal(t, []string{"first", "second", "third"}, h.sorted())
	assert.Contains(t, out.String(), "the OnPanic handler panicked: handler failed on first")
	assert.Contains(t, out.String(), "while handling a panic nobody observed:\npanic: first")
}

// A handler that panics while Close reports two panics nobody observed
// does not make Close panic or drop the other one: Close returns both, the
// handler sees both, and a second Close returns the same.
func TestCloseSurvivesAPanickingHandler(t *testing.T) {
	out := captureReports(t)
	h := newHandled()
	h.panics["a"] = true
	l := sy.New(sy.OnPanic(h.handle))
	fa, fb := sy.Go(context.Background(), l, panicking("a")), sy.Go(context.Background(), l, panicking("b"))
	<-fa.Done()
	<-fb.Done()
	var err error
	require.NotPanics(t, func() { err = l.Close() })
	runtime.KeepAlive(fa)
	runtime.KeepAlive(fb)
	var pe *sy.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), "panic: a")
	assert.Contains(t, err.Error(), "panic: b")
	assert.Equal(t, []string{"a", "b"}, h.sorted())
	assert.Equal(t, err, l.Close(), "a second Close returns the same")
	assert.Equal(t, 1, strings.Count(out.String(), "the OnPanic handler panicked"))
}

// A panic that Close reported because nobody had observed it has had its
// one observer: a Result, Err or combinator after that returns it as an
// error instead of panicking a second time.
func TestReportedPanicIsNotRaisedAgain(t *testing.T) {
	h := newHandled()
	l := sy.New(sy.OnPanic(h.handle))
	f := sy.Go(context.Background(), l, panicking("late"))
	<-f.Done()
	s := sy.Start(context.Background(), l, func(ctx context.Context, yield func(int) bool) error { panic("stream") })
	for range s.C() {
	}
	err := l.Close()
	require.Error(t, err)
	assert.Equal(t, []string{"late", "stream"}, h.sorted())

	var pe *sy.PanicError
	_, err = f.Result()
	require.ErrorAs(t, err, &pe, "Result after the report")
	assert.Equal(t, "late", pe.Value)
	_, err = sy.All(context.Background(), f)
	require.ErrorAs(t, err, &pe, "All after the report")
	_, errs := sy.Settle(context.Background(), f)
	require.ErrorAs(t, errs[0], &pe, "Settle after the report")
	require.ErrorAs(t, s.Stop(), &pe, "Stop after the report")
	assert.Equal(t, "stream", pe.Value)
	assert.Len(t, h.sorted(), 2, "nothing reported twice")
}

// When a stream's producer panics and then the body ranging its Seq
// panics too, the body's panic goes on with its own value, and the
// producer's goes to the loop's handler: each has one observer.
func TestStreamSeqBodyPanicAfterProducerPanic(t *testing.T) {
	h := newHandled()
	l := sy.New(sy.OnPanic(h.handle))
	produced := make(chan struct{})
	s := sy.Start(context.Background(), l, func(ctx context.Context, yield func(int) bool) error {
		yield(1)
		close(produced)
		panic("producer")
	})
	<-produced
	r := func() (r any) {
		defer func() { r = recover() }()
		for range s.Seq() {
			panic("body")
		}
		return nil
	}()
	assert.Equal(t, "body", r)
	require.NoError(t, l.Close(), "the producer's panic was reported, not owed")
	assert.Equal(t, []string{"producer"}, h.sorted())
}
