package synchronicity_test

import (
	"context"
	"iter"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// No decision of the library reads the goroutine profile, another
// goroutine's stack or pprof labels: only internals.go may read the
// calling goroutine's own stack header (for its id) and the labels of the
// contexts it checks at start-up, and panic.go the stack of the goroutine
// that panicked, to report it.
func TestNoIntrospection(t *testing.T) {
	forbidden := regexp.MustCompile(`pprof\.Lookup|pprof\.Label\(|pprof\.ForLabels|runtime\.Stack\([^)]*true\)|runtime\.Stack\(|debug\.Stack\(`)
	allowed := map[string][]string{
		"internals.go": {"runtime.Stack(buf[:], false)", "pprof.Label(ctx, key)"},
		"panic.go":     {"debug.Stack()"},
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range forbidden.FindAllString(string(src), -1) {
			if !slices.ContainsFunc(allowed[f], func(ok string) bool { return strings.HasPrefix(ok, m) }) {
				t.Errorf("%s reads %q", f, m)
			}
		}
	}
}

// The start-up checks of internals.go pass on every toolchain the library
// is tested with: a Go release that changes what they check fails here
// first, while users' programs take the fallback.
func TestStartupChecksPass(t *testing.T) {
	assert.True(t, sy.ContextsWork(), "tasks answer the context package's and runtime/pprof's lookups")
	assert.True(t, sy.GoidWorks(), "goroutine ids can be read")
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
		assert.True(t, sy.GoidRead(), "goroutine ids are read from the runtime's record")
	}
}

// The id read from the runtime's record is the one the stack header gives,
// on goroutines and on coroutines alike.
func TestGoidMatchesStack(t *testing.T) {
	fromStack := func() uint64 {
		defer sy.ForceGoidFromStack()()
		return sy.Goid()
	}
	check := func() {
		assert.Equal(t, fromStack(), sy.Goid())
	}
	check()
	done := make(chan struct{})
	go func() { defer close(done); check() }()
	<-done
	next, stop := iter.Pull(func(yield func(struct{}) bool) { check(); yield(struct{}{}) })
	defer stop()
	next()
	assert.NotEqual(t, sy.Goid(), func() (id uint64) {
		done := make(chan struct{})
		go func() { defer close(done); id = sy.Goid() }()
		<-done
		return id
	}())
}

// bothContexts runs test with tasks as the library makes them and with the
// plain contexts it falls back to when its start-up checks fail.
func bothContexts(t *testing.T, test func(*testing.T)) {
	t.Run("probed", test)
	t.Run("plain", func(t *testing.T) {
		t.Cleanup(sy.ForceContextFallback())
		test(t)
	})
}

// goidsRead runs test with goroutine ids read from the runtime's record and
// from the stack header, its fallback.
func goidsRead(t *testing.T, test func(*testing.T)) {
	t.Run("goid", test)
	t.Run("stack-goid", func(t *testing.T) {
		t.Cleanup(sy.ForceGoidFromStack()) // after the test's loops have closed
		test(t)
	})
}

// bothGoids runs test as goidsRead does, and with the fallback for when
// goroutine ids cannot be read at all.
func bothGoids(t *testing.T, test func(*testing.T)) {
	goidsRead(t, test)
	t.Run("no-goid", func(t *testing.T) {
		t.Cleanup(sy.ForceGoidFallback())
		test(t)
	})
}

// With plain contexts a task still carries its loop's labels over its
// caller's, as the probed ones do.
func TestTaskLabels(t *testing.T) { bothContexts(t, testTaskLabels) }

func testTaskLabels(t *testing.T) {
	for _, opts := range [][]sy.Option{nil, {sy.Serial()}} {
		l := sy.New(append(opts, sy.Name("labels"))...)
		parents := map[string]context.Context{
			"background": context.Background(),
			"values":     pprof.WithLabels(context.Background(), pprof.Labels("caller", "c")),
		}
		cancellable, cancel := context.WithCancel(parents["values"])
		parents["cancellable"] = cancellable
		for name, parent := range parents {
			got, err := sy.Call(parent, l, func(ctx context.Context) ([2]string, error) {
				loop, _ := pprof.Label(ctx, "synchronicity.loop")
				caller, _ := pprof.Label(ctx, "caller")
				return [2]string{loop, caller}, nil
			})
			require.NoError(t, err)
			want := [2]string{"labels", "c"}
			if name == "background" {
				want[1] = ""
			}
			assert.Equal(t, want, got, name)
		}
		cancel()
		require.NoError(t, l.Close())
	}
}

// Without goroutine ids a serial loop still runs calls, futures and
// producers in order on its goroutine.
func TestSerialWithoutGoids(t *testing.T) {
	defer sy.ForceGoidFallback()()
	for _, opts := range [][]sy.Option{{sy.Serial()}, {sy.LockOSThread()}} {
		l := sy.New(opts...)
		ctx := context.Background()
		var order []int
		add := func(i int) func(context.Context) (int, error) {
			return func(context.Context) (int, error) { order = append(order, i); return i, nil }
		}
		f := sy.Go(ctx, l, add(1))
		v, err := sy.Call(ctx, l, add(2))
		require.NoError(t, err)
		assert.Equal(t, 2, v)
		v, err = f.Result()
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		var got []int
		for v, err := range sy.Seq(ctx, l, sy.FromSeq(slices.Values([]int{3, 4}))) {
			require.NoError(t, err)
			got = append(got, v)
		}
		assert.Equal(t, []int{1, 2}, order)
		assert.Equal(t, []int{3, 4}, got)
		require.NoError(t, l.Close())
	}
}
