// Package bench compares synchronicity with hand-written Go and with other
// concurrency libraries on the same jobs: a producer ranged over or received
// from a channel, breaking out of an endless producer, a fan-out of many
// small tasks, an ordered parallel map with a limit, and a call round trip
// to one dedicated goroutine.
//
// Each job is a table of implementations ([Impl]); the tests check that every
// implementation gets the right result on a small input, and the benchmarks
// run the same functions at full size. The work per item is deliberately
// trivial, so the figures measure what each approach adds on top of the work.
//
// Run the comparison and refresh the table and chart with
//
//	go run ./cmd/report            # -count 6; -short for a quick smoke run
//
// or the benchmarks alone with go test -run '^$' -bench . -benchmem.
package bench

import (
	"context"
	"iter"
	"sync/atomic"

	sy "github.com/synchronicity-go/synchronicity"
)

// An Impl is one way of doing a job.
type Impl[F any] struct {
	Name string // the sub-benchmark's name
	Run  F
}

// A Job describes one benchmark for the report.
type Job struct {
	Bench string            // Benchmark function name without "Benchmark"
	Title string            // heading in the report
	Unit  string            // the metric the report compares
	Also  string            // another metric the report shows beside it, if any
	Notes map[string]string // per implementation, shown beside its figure
	// Apart lists the implementations that do a different job (slice in and
	// slice out, a fixed set of goroutines instead of one per task): they
	// stay in the table with their note, but the library is not compared
	// with them.
	Apart  map[string]bool
	Leaks  map[string]bool // for EarlyBreak: which implementations leave a goroutine behind
	Sizing string          // how big one op is
}

// Library is the implementation every other one is compared with.
const Library = "synchronicity"

// Jobs lists the benchmarks in report order.
var Jobs = []Job{
	{Bench: "ProducerRange", Title: "Producer → range loop", Unit: "ns/item", Sizing: "65,536 ints",
		Notes: map[string]string{"handwritten-seq": "no goroutine: the floor"}},
	{Bench: "ProducerChan", Title: "Producer → channel", Unit: "ns/item", Sizing: "65,536 ints"},
	{Bench: "EarlyBreak", Title: "Break out of an endless producer", Unit: "ns/op", Sizing: "10 items, then stop",
		Leaks: LeaksOnBreak},
	{Bench: "FanOut", Title: "Fan-out, collect all results", Unit: "ns/task", Sizing: "10,000 tasks",
		Notes: map[string]string{
			"conc-iter.Map":   "GOMAXPROCS goroutines, not one per task",
			"conc-pool":       "results unordered",
			"lo-parallel.Map": "slice in, slice out",
		},
		Apart: map[string]bool{"conc-iter.Map": true, "lo-parallel.Map": true}},
	{Bench: "OrderedMap", Title: "Ordered parallel map, 8 workers", Unit: "ns/item", Sizing: "100,000 items",
		Notes: map[string]string{
			"lo-parallel.Map": "no limit: one goroutine per item",
			"errgroup":        "SetLimit(8), slice in, slice out",
			"conc-iter.Map":   "slice in, slice out",
		},
		Apart: map[string]bool{"errgroup": true, "conc-iter.Map": true}},
	{Bench: "RoundTrip", Title: "Call round trip to one dedicated goroutine", Unit: "ns/op", Also: "cpu-ns/op", Sizing: "one call",
		Notes: notLocked, Apart: apart},
	{Bench: "RoundTripLoaded", Title: "Call round trip under load", Unit: "ns/op", Also: "load-%", Sizing: "one call, a CPU-bound goroutine per processor beside it",
		Notes: notLocked, Apart: apart},
	{Bench: "SparseCalls", Title: "One call a millisecond: CPU burned per call, the wait between calls included", Unit: "cpu-ns/op", Sizing: "one call",
		Notes: notLocked, Apart: apart},
	{Bench: "Idle", Title: "CPU burned per second while idle, after a burst of calls", Unit: "idle-cpu-ns/s", Sizing: "100 calls, then 100 ms idle",
		Notes: notLocked, Apart: apart},
	{Bench: "SharedResource", Title: "A resource not safe for concurrent use, shared by 64 goroutines", Unit: "ns/op", Also: "p99-ns", Sizing: "one call"},
}

// notLocked and apart mark the serial loop among the round trips to a
// locked thread: a different job, shown beside them and not compared.
var (
	notLocked = map[string]string{"synchronicity-serial": "not locked to a thread"}
	apart     = map[string]bool{"synchronicity-serial": true}
)

// loop is the concurrent loop the library's implementations run on. It starts
// no goroutine of its own, so it can live as long as the process.
var loop = sy.New(sy.Name("bench"))

var ctx = context.Background()

// ints yields 0, 1, ..., n-1, or counts without end if n < 0, until yield
// returns false or halt (if not nil) is set. The tests set halt to end the
// goroutines that an implementation left behind.
func ints(n int, halt *atomic.Bool) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i != n; i++ {
			if halt != nil && halt.Load() || !yield(i) {
				return
			}
		}
	}
}
