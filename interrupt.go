package synchronicity

import (
	"os"
	"os/signal"
	"sync"
)

// interrupts routes the process's first SIGINT to every loop made with
// CancelOnInterrupt. One watcher serves them all, so a loop with nothing to
// cancel cannot end the process while another one is still cleaning up.
var interrupts struct {
	mu      sync.Mutex
	current *watcher // nil when no loop is listening
}

type watcher struct {
	sig   chan os.Signal
	stop  chan struct{} // closed when the last loop leaves
	done  chan struct{} // closed when watchInterrupts has returned
	loops map[*Loop]struct{}
}

// listen adds l to the loops the first interrupt cancels. The subscription
// is in place when it returns, so no interrupt slips past a new loop.
func (l *Loop) listen() {
	interrupts.mu.Lock()
	defer interrupts.mu.Unlock()
	w := interrupts.current
	if w == nil {
		w = &watcher{sig: make(chan os.Signal, 1), stop: make(chan struct{}), done: make(chan struct{}), loops: map[*Loop]struct{}{}}
		signal.Notify(w.sig, os.Interrupt)
		interrupts.current = w
		go watchInterrupts(w)
	}
	w.loops[l] = struct{}{}
	l.watcher = w
}

// unlisten takes a closing loop out, and waits for the watcher to return if
// it was the last loop or the interrupt has come.
func (l *Loop) unlisten() {
	interrupts.mu.Lock()
	w := l.watcher
	if _, ok := w.loops[l]; ok {
		delete(w.loops, l)
		if len(w.loops) > 0 {
			interrupts.mu.Unlock()
			return
		}
		signal.Stop(w.sig)
		close(w.stop)
		if interrupts.current == w {
			interrupts.current = nil
		}
	}
	interrupts.mu.Unlock()
	<-w.done
}

// watchInterrupts waits for the interrupt and cancels every listening loop's
// work. If none had work in flight, it lets the process see the interrupt it
// would have seen without them.
func watchInterrupts(w *watcher) {
	defer close(w.done)
	select {
	case <-w.sig:
	case <-w.stop:
		return
	}
	interrupts.mu.Lock()
	signal.Stop(w.sig) // from here on an interrupt ends the process as usual
	loops := w.loops
	w.loops = nil
	if interrupts.current == w {
		interrupts.current = nil
	}
	interrupts.mu.Unlock()
	busy := false
	for l := range loops {
		busy = busy || l.state.Load()&countMask != 0
		l.refuse()
		l.cancel(ErrInterrupted)
	}
	if !busy {
		if p, err := os.FindProcess(os.Getpid()); err != nil || p.Signal(os.Interrupt) != nil {
			os.Exit(130)
		}
	}
}
