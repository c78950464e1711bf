//go:build go1.25

package synchronicity_test

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// Close reports work that does not end after 5 seconds of waiting, not
// before, and once.
func TestStuckCloseReportsAfterFiveSeconds(t *testing.T) {
	r := captureReports(t)
	synctest.Test(t, func(t *testing.T) {
		l := sy.New(sy.Name("stuck"))
		started, release := make(chan struct{}), make(chan struct{})
		sy.Go(context.Background(), l, blockedTask(started, release))
		<-started
		closed := make(chan error)
		go func() { closed <- l.Close() }()
		time.Sleep(5*time.Second - time.Nanosecond)
		synctest.Wait()
		assert.Empty(t, r.String(), "reported before 5s")
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		assert.Contains(t, r.String(), "synchronicity.Loop(stuck).Close has waited 5s for work that does not end:\n  Go ")
		time.Sleep(time.Minute)
		synctest.Wait()
		close(release)
		require.NoError(t, <-closed)
		assert.Equal(t, 1, strings.Count(r.String(), "has waited"), "reported once")
	})
}
