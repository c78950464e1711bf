package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestEarlyBreakLeaks checks LeaksOnBreak: after taking 10 values of an
// endless producer and stopping, which implementations leave a goroutine
// behind. Goroutines that end by themselves soon after (rill-ctx's drain)
// count as no leak.
func TestEarlyBreakLeaks(t *testing.T) {
	for _, im := range EarlyBreak {
		t.Run(im.Name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			_, cleanup := im.Run(10)
			err := goleak.Find(before) // retries for about a second
			if cleanup != nil {
				cleanup()
			}
			if leaked := err != nil; leaked != LeaksOnBreak[im.Name] {
				t.Errorf("leaked = %v, LeaksOnBreak says %v; goleak: %v", leaked, LeaksOnBreak[im.Name], err)
			}
		})
	}
}
