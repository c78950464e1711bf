package synchronicity

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A long-lived loop does not keep every future that ever panicked: the
// ones whose panic was observed are let go, the others kept for Close.
func TestObservedPanicsAreForgotten(t *testing.T) {
	l := New()
	boom := func(context.Context) (int, error) { panic("boom") }
	for range 1000 {
		f := Go(context.Background(), l, boom)
		<-f.Done()
		assert.NotNil(t, f.observe())
	}
	owed := Go(context.Background(), l, boom)
	<-owed.Done()
	l.panicMu.Lock()
	kept := len(l.panicked)
	l.panicMu.Unlock()
	assert.Less(t, kept, 100, "futures kept after their panics were observed")
	err := l.Close()
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
}
