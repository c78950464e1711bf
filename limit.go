package synchronicity

import (
	"context"
	"runtime/trace"
)

// takeSlot waits for a turn on a loop with Limit. It reports false if ctx
// ends first.
func (l *Loop) takeSlot(ctx context.Context) bool {
	if l.slots == nil {
		return true
	}
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	l.waiting.Add(1)
	defer l.waiting.Add(-1)
	defer trace.StartRegion(ctx, "wait for a turn").End()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *Loop) freeSlot() {
	if l.slots != nil {
		<-l.slots
	}
}
