package synchronicity_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// reports collects what loops write to standard error, and tells when
// something was written.
type reports struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{}
}

func captureReports(t *testing.T) *reports {
	r := &reports{wrote: make(chan struct{}, 1)}
	t.Cleanup(sy.SetPanicOutput(r))
	return r
}

func (r *reports) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case r.wrote <- struct{}{}:
	default:
	}
	return r.b.Write(p)
}

func (r *reports) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.String()
}

// blockedTask is work that says it started, then ignores its context until
// release is closed.
func blockedTask(started chan<- struct{}, release <-chan struct{}) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		close(started)
		<-release
		return 1, nil
	}
}

// A Close or Shutdown that waits long for work that does not end says,
// once, which work it waits for: its entry point, its function, how long
// it has run. Then it goes on waiting, and returns once the work ends.
func TestStuckCloseReports(t *testing.T) {
	defer sy.SetStuckAfter(time.Millisecond)()
	for _, op := range []string{"Close", "Shutdown"} {
		for name, opts := range map[string][]sy.Option{"concurrent": nil, "serial": {sy.Serial()}} {
			t.Run(op+"/"+name, func(t *testing.T) {
				r := captureReports(t)
				l := sy.New(append(opts, sy.Name("stuck"))...)
				release := make(chan struct{})
				seqStarted := make(chan struct{})
				go func() {
					for range sy.Seq(context.Background(), l, sy.FromSeq(slices.Values([]int{1}))) {
						close(seqStarted)
						<-release
					}
				}()
				<-seqStarted
				started := make(chan struct{})
				f := sy.Go(context.Background(), l, blockedTask(started, release))
				<-started
				closed := make(chan error)
				go func() {
					if op == "Close" {
						closed <- l.Close()
					} else {
						closed <- l.Shutdown(context.Background())
					}
				}()
				<-r.wrote
				out := r.String()
				assert.Contains(t, out, "synchronicity.Loop(stuck)."+op+" has waited 1ms for work that does not end:")
				assert.Regexp(t, `\n  Go .*blockedTask.*, running for `, out)
				assert.Regexp(t, `\n  Seq .*FromSeq.* running for `, out)
				assert.Equal(t, 1, strings.Count(out, "has waited"), "reported once")
				close(release)
				require.NoError(t, <-closed)
				v, err := f.Result()
				assert.Equal(t, 1, v)
				assert.NoError(t, err)
			})
		}
	}
}

// A Close that finds no work in flight, or work that ends in time, reports
// nothing.
func TestCloseInTimeReportsNothing(t *testing.T) {
	r := captureReports(t)
	l := sy.New()
	release := make(chan struct{})
	started := make(chan struct{})
	f := sy.Go(context.Background(), l, blockedTask(started, release))
	close(release)
	f.Result()
	require.NoError(t, l.Close())
	assert.Empty(t, r.String())
}
