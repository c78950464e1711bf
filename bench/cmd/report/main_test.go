package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const sample = `goos: linux
goarch: amd64
cpu: Test CPU
BenchmarkProducerRange/synchronicity-2     100  400000 ns/op  6.0 ns/item  896 B/op  17 allocs/op
BenchmarkProducerRange/synchronicity-2     100  400000 ns/op  8.0 ns/item  896 B/op  17 allocs/op
BenchmarkProducerRange/synchronicity-2     100  400000 ns/op  7.0 ns/item  896 B/op  17 allocs/op
BenchmarkProducerRange/iter.Pull-2         100  400000 ns/op  70.0 ns/item  232 B/op  7 allocs/op
BenchmarkProducerRange/handwritten-seq-2   100  400000 ns/op  0.5 ns/item  0 B/op  0 allocs/op
BenchmarkEarlyBreak/synchronicity-2        100  1000 ns/op  960 B/op  20 allocs/op
BenchmarkEarlyBreak/iter.Pull-2            100  500 ns/op  232 B/op  7 allocs/op
BenchmarkFanOut/synchronicity-2  10  4000000 ns/op  400 ns/task
BenchmarkFanOut/synchronicity-2  10  4000000 ns/op  800 ns/task
BenchmarkFanOut/synchronicity-2  10  4000000 ns/op  380 ns/task
BenchmarkFanOut/errgroup-2       10  3000000 ns/op  300 ns/task
BenchmarkFanOut/errgroup-2       10  3000000 ns/op  310 ns/task
BenchmarkFanOut/errgroup-2       10  3000000 ns/op  290 ns/task
BenchmarkFanOut/conc-iter.Map-2  10  100000 ns/op  10 ns/task
BenchmarkRoundTrip/synchronicity-2  1000  10000 ns/op  12000 cpu-ns/op
BenchmarkRoundTrip/mainthread-2     1000  20000 ns/op  15000 cpu-ns/op
PASS
`

func TestReport(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "raw.txt")
	if err := os.WriteFile(in, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	res := read(in)
	table := markdown(res)
	for _, want := range []string{
		"| **synchronicity** | 7.00 ±14% | 1.00 |",
		"| iter.Pull | 70.0 | 10.00 |",
		"synchronicity takes 14.00× the time of the fastest other implementation doing the same job, handwritten-seq.",
		"| iter.Pull | 500 | 0.50 | no |",
		// A figure that swings is flagged, and so is a comparison with it.
		"| **synchronicity** | 400 ±100% ⚠ | 1.00 |",
		"| errgroup | 300 ±3% | 0.75 |",
		// An implementation doing another job stays in the table, uncompared.
		"| conc-iter.Map | 10.0 | 0.03 | GOMAXPROCS goroutines, not one per task; a different job: not compared |",
		"synchronicity takes 1.33× the time of the fastest other implementation doing the same job, errgroup (a figure that swings: rough).",
		// A second metric, where the job has one.
		"| implementation | ns/op | × synchronicity | cpu-ns/op | notes |",
		"| **synchronicity** | 10000 | 1.00 | 12000 |",
		"| handwritten-chan | — | — | **yes** |", // from LeaksOnBreak, not benchmarked
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("intro\n"+begin+"\nold\n"+end+"\nrest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !replaceBetweenMarkers(readme, table) {
		t.Fatal("markers not found")
	}
	got, _ := os.ReadFile(readme)
	if want := "intro\n" + begin + "\n" + table + "\n" + end + "\nrest\n"; string(got) != want {
		t.Errorf("README is\n%s\nwant\n%s", got, want)
	}
	if replaceBetweenMarkers(filepath.Join(dir, "missing.md"), table) {
		t.Error("replaced in a file that does not exist")
	}

	svg := filepath.Join(dir, "chart.svg")
	if err := chart(res, svg); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(svg); !strings.Contains(string(data), "<svg") || !strings.Contains(string(data), "iter.Pull") {
		t.Errorf("chart.svg is not an SVG with the legend in it")
	}
}
