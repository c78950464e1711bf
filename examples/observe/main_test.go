package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/exp/trace"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The program reports the slow query, the panic's origin and the stuck
// Close, reads its Stats back over HTTP, and writes a trace in which every
// piece of work is a task named after its loop and its work, with its wait
// for a turn apart from its run.
func TestObserve(t *testing.T) {
	var out bytes.Buffer
	path := filepath.Join(t.TempDir(), "observe.trace")
	require.NoError(t, run(context.Background(), &out, path))
	got := out.String()

	assert.Contains(t, got, `level=WARN msg="synchronicity: slow work holds a serial loop" loop=db work="Go vacuum"`)
	assert.Contains(t, got, "queued=8")
	assert.Contains(t, got, "recovered: user-7: corrupt record\n  in: Go fetch user\n  started at: ")
	assert.Contains(t, got, "observe.fanOut\n\t", "the function that started it, then its file")
	assert.Contains(t, got, `level=WARN msg="synchronicity: Close waits for work that does not end" loop=jobs`)
	assert.Contains(t, got, "Go resize images, running for at most")
	assert.Contains(t, got, "db: started 9, succeeded 9, failed 0, cancelled 0, panicked 0, in flight 0\n")
	assert.Contains(t, got, "api: started 12, succeeded 11, failed 0, cancelled 0, panicked 1, in flight 0\n")

	tasks, regions, logs := readTrace(t, path)
	assert.Equal(t, 1, tasks["db Go vacuum"])
	assert.Equal(t, 8, tasks["db Call select"])
	assert.Equal(t, 12, tasks["api Go fetch user"])
	assert.Equal(t, 1, tasks["jobs Go resize images"])
	assert.Equal(t, 12, regions["api Go fetch user/run"], "each run is a region of its task")
	// Limit(4): the first four take a turn at once, and most of the others
	// wait for one, each in a region.
	assert.Positive(t, regions["api Go fetch user/wait for a turn"])
	assert.LessOrEqual(t, regions["api Go fetch user/wait for a turn"], 8)
	assert.Equal(t, 8, logs["db Call select/queued"], "how long each waited to be run")
}

// readTrace counts the tasks by name, the regions by task and name, and
// the logs by task and category, in the trace at path.
func readTrace(t *testing.T, path string) (tasks, regions, logs map[string]int) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	r, err := trace.NewReader(f)
	require.NoError(t, err)
	names := map[trace.TaskID]string{}
	tasks, regions, logs = map[string]int{}, map[string]int{}, map[string]int{}
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch ev.Kind() {
		case trace.EventTaskBegin:
			task := ev.Task()
			names[task.ID] = task.Type
			tasks[task.Type]++
		case trace.EventRegionBegin:
			reg := ev.Region()
			if name, ok := names[reg.Task]; ok {
				regions[name+"/"+reg.Type]++
			}
		case trace.EventLog:
			log := ev.Log()
			if name, ok := names[log.Task]; ok {
				logs[name+"/"+log.Category]++
			}
		}
	}
	for name := range tasks {
		assert.False(t, strings.Contains(name, "(unknown)"), "every task has a name: %q", name)
	}
	return tasks, regions, logs
}
