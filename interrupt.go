package synchronicity

import (
	"os"
	"os/signal"
	"sync"
)

// interrupts routes the process's first SIGINT to the loops made with
// CancelOnInterrupt. The process listens for it only while one of them has
// work in flight: an idle loop takes no signal, so an interrupt then does
// exactly what it would do without the library (ends the process, or
// reaches the application's own handler once), and the library never needs
// to raise a signal again. One watcher serves every loop, so a loop with
// nothing to cancel cannot end the process while another one is still
// cleaning up.
var interrupts struct {
	mu      sync.Mutex
	current *watcher // nil when no loop is listening
}

type watcher struct {
	sig   chan os.Signal
	stop  chan struct{}  // closed when the last loop leaves
	done  chan struct{}  // closed when watchInterrupts has returned
	loops map[*Loop]bool // whether each loop has work in flight, as last seen
	busy  int            // loops with work in flight: the signal is taken while > 0
}

// listen adds l to the loops the first interrupt cancels.
func (l *Loop) listen() {
	interrupts.mu.Lock()
	defer interrupts.mu.Unlock()
	w := interrupts.current
	if w == nil {
		w = &watcher{sig: make(chan os.Signal, 1), stop: make(chan struct{}), done: make(chan struct{}), loops: map[*Loop]bool{}}
		interrupts.current = w
		go watchInterrupts(w)
	}
	w.loops[l] = false
	l.watcher = w
}

// busyChanged is called when l's work in flight may have gone from none to
// some or back: it takes the signal while some loop is busy. It reads l's
// count itself, so callers racing to report opposite changes leave it
// right whatever their order.
func (l *Loop) busyChanged() {
	interrupts.mu.Lock()
	defer interrupts.mu.Unlock()
	w := l.watcher
	was, ok := w.loops[l]
	if !ok {
		return // closed, or the interrupt has come
	}
	busy := l.state.Load()&countMask != 0
	if busy == was {
		return
	}
	w.loops[l] = busy
	if busy {
		if w.busy++; w.busy == 1 {
			signal.Notify(w.sig, os.Interrupt)
		}
	} else if w.busy--; w.busy == 0 {
		signal.Stop(w.sig)
	}
}

// unlisten takes a closing loop out, and waits for the watcher to return if
// it was the last loop or the interrupt has come.
func (l *Loop) unlisten() {
	interrupts.mu.Lock()
	w := l.watcher
	if busy, ok := w.loops[l]; ok {
		delete(w.loops, l)
		if busy {
			if w.busy--; w.busy == 0 {
				signal.Stop(w.sig)
			}
		}
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
// work. From then on an interrupt ends the process as usual.
func watchInterrupts(w *watcher) {
	defer close(w.done)
	select {
	case <-w.sig:
	case <-w.stop:
		return
	}
	interrupts.mu.Lock()
	signal.Stop(w.sig)
	loops := w.loops
	w.loops = nil
	if interrupts.current == w {
		interrupts.current = nil
	}
	interrupts.mu.Unlock()
	for l := range loops {
		l.refuse()
		l.cancel(ErrInterrupted)
	}
}
