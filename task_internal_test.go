package synchronicity

import (
	"context"
	"sync"
	"testing"
)

// A task whose Err reports its end has its Done closed already, as the
// context package promises, even while another goroutine is ending it.
func TestTaskErrImpliesDone(t *testing.T) {
	l := New()
	defer l.Close()
	n := 20_000
	if testing.Short() {
		n = 2_000 // the race shows within a few hundred rounds
	}
	for range n {
		var tk task
		tk.init(context.Background(), l)
		tk.Done() // a watch, whose channel the ender closes
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); tk.cancel() }()
		for tk.Err() == nil {
		}
		select {
		case <-tk.Done():
		default:
			t.Fatal("Err reports the end, but Done is not closed")
		}
		wg.Wait()
	}
}

// A task ended while another goroutine starts watching it (Done, or an
// AfterFunc as context.AfterFunc and derived contexts register) still
// closes that Done and runs that function, once: the end that finds the
// task unwatched and the watch that finds it ended meet in its state.
func TestTaskEndRacesWatch(t *testing.T) {
	l := New()
	defer l.Close()
	n := 20_000
	if testing.Short() {
		n = 2_000
	}
	for i := range n {
		var tk task
		tk.init(context.Background(), l)
		var ran sync.WaitGroup // Done twice panics: a function run twice fails the test
		ran.Add(1)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); tk.cancel() }()
		var done <-chan struct{}
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				done = tk.Done()
			} else {
				tk.AfterFunc(ran.Done)
			}
		}()
		wg.Wait()
		if i%2 == 0 {
			select {
			case <-done:
			default:
				t.Fatal("ended, but the Done made meanwhile is not closed")
			}
		} else {
			ran.Wait() // it runs, in a goroutine of its own
		}
		if tk.Err() == nil {
			t.Fatal("cancelled, but Err is nil")
		}
	}
}
