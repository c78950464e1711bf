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
