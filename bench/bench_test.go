package bench

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Sizes of one op. The metric each job reports divides the op's time by its
// size, so figures stay comparable if the sizes change.
const (
	produceItems = 1 << 16
	breakAfter   = 10
	fanOutTasks  = 10_000
	mapItems     = 100_000
)

var sink int

// each runs op for every implementation as a sub-benchmark and reports the
// time per unit of work, an op being size units.
func each[F any](b *testing.B, impls []Impl[F], size int, unit string, op func(F)) {
	for _, im := range impls {
		b.Run(im.Name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				op(im.Run)
			}
			if unit != "ns/op" {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size), unit)
			}
		})
	}
}

func BenchmarkProducerRange(b *testing.B) {
	each(b, ProducerRange, produceItems, "ns/item", func(run func(int) int) { sink = run(produceItems) })
}

func BenchmarkProducerChan(b *testing.B) {
	each(b, ProducerChan, produceItems, "ns/item", func(run func(int) int) { sink = run(produceItems) })
}

// BenchmarkEarlyBreak leaves out the implementations that leak: each op
// would leave a goroutine behind (see TestEarlyBreakLeaks).
func BenchmarkEarlyBreak(b *testing.B) {
	var fine []Break
	for _, im := range EarlyBreak {
		if !LeaksOnBreak[im.Name] {
			fine = append(fine, im)
		}
	}
	each(b, fine, 1, "ns/op", func(run func(int) (int, func())) { sink, _ = run(breakAfter) })
}

func BenchmarkFanOut(b *testing.B) {
	each(b, FanOut, fanOutTasks, "ns/task", func(run func(int) []int) { sink = len(run(fanOutTasks)) })
}

func BenchmarkOrderedMap(b *testing.B) {
	each(b, OrderedMap, mapItems, "ns/item", func(run func(int) []int) { sink = len(run(mapItems)) })
}

// BenchmarkRoundTrip reports, beside the time of a call, the CPU time the
// process burned for it (cpu-ns/op) on all threads, caller and callee: a
// waiter that spins instead of sleeping shows there.
func BenchmarkRoundTrip(b *testing.B) {
	for _, im := range RoundTrip {
		b.Run(im.Name, func(b *testing.B) {
			b.ReportAllocs()
			call, stop := im.Run()
			defer stop()
			b.ResetTimer()
			cpu0, ok := cpuTime()
			for i := range b.N {
				sink = call(i)
			}
			if cpu1, ok1 := cpuTime(); ok && ok1 {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkRoundTripLoaded is BenchmarkRoundTrip with a CPU-bound goroutine
// per processor running beside the calls, as in a busy service: a waiter
// that spins competes with them for the processors. It reports the share
// of the processors' time the load got (load-%): the scheduler may leave
// the load waiting while two goroutines hand a processor back and forth,
// and then the calls are fast because the load, not the caller, was
// starved.
func BenchmarkRoundTripLoaded(b *testing.B) {
	for _, im := range RoundTrip {
		b.Run(im.Name, func(b *testing.B) {
			call, stop := im.Run()
			defer stop()
			rate := loadRate()
			unload := loadProcessors()
			b.ResetTimer()
			for i := range b.N {
				sink = call(i)
			}
			b.StopTimer()
			rounds, window := unload()
			cpus := min(runtime.GOMAXPROCS(0), runtime.NumCPU())
			b.ReportMetric(100*float64(rounds)/(rate*window.Seconds()*float64(cpus)), "load-%")
		})
	}
}

// loadProcessors starts a CPU-bound goroutine per processor, and returns a
// function that stops them, waits for them, and returns the rounds of work
// they did and the time they had.
//
// It returns once every one of them has run: a goroutine made runnable and
// then displaced by a ping-pong of two others on one processor can wait
// behind them indefinitely (the scheduler runs the goroutine just readied
// next, and the displaced one sits in the processor's local queue), so a
// round trip measured beside load that has never run would measure no
// load at all.
func loadProcessors() (stop func() (rounds int64, window time.Duration)) {
	var halt atomic.Bool
	var total atomic.Int64
	var wg, running sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		running.Add(1)
		go func() {
			defer wg.Done()
			running.Done()
			total.Add(loadRounds(&halt))
		}()
	}
	running.Wait()
	return func() (int64, time.Duration) {
		halt.Store(true)
		wg.Wait()
		return total.Load(), time.Since(start)
	}
}

// loadRounds burns CPU in rounds until halt, and returns how many it did.
func loadRounds(halt *atomic.Bool) int64 {
	x, rounds := 0, int64(0)
	for ; !halt.Load(); rounds++ {
		for i := range 1000 {
			x ^= i * x
		}
	}
	spent.Add(int64(x))
	return rounds
}

// loadRate returns the rounds a second of loadRounds on a processor of its
// own, measured once.
var loadRate = sync.OnceValue(func() float64 {
	var halt atomic.Bool
	start := time.Now()
	time.AfterFunc(50*time.Millisecond, func() { halt.Store(true) })
	return float64(loadRounds(&halt)) / time.Since(start).Seconds()
})

var spent atomic.Int64 // what the load computed, so that it is computed

// BenchmarkSparseCalls makes one call a millisecond and reports the CPU time
// the process burned per call (cpu-ns/op) on all threads, the time between
// calls included: a dedicated thread that spins long after each call, or
// wakes without work, shows there. At a thousand calls a second, cpu-ns/op
// is also the CPU microseconds burned per second.
func BenchmarkSparseCalls(b *testing.B) {
	for _, im := range RoundTrip {
		b.Run(im.Name, func(b *testing.B) {
			call, stop := im.Run()
			defer stop()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			b.ResetTimer()
			cpu0, ok := cpuTime()
			for i := range b.N {
				<-tick.C
				sink = call(i)
			}
			if cpu1, ok1 := cpuTime(); ok && ok1 {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkIdle has each dedicated goroutine answer a burst of 100 calls and
// then sit idle for 100 ms, and reports the CPU the process burned while it
// sat idle, per second of idling (idle-cpu-ns/s): the runtime's own upkeep,
// the same for all, and whatever the goroutine burns once its calls stop.
func BenchmarkIdle(b *testing.B) {
	const idle = 100 * time.Millisecond
	for _, im := range RoundTrip {
		b.Run(im.Name, func(b *testing.B) {
			call, stop := im.Run()
			defer stop()
			var burned time.Duration
			for i := range b.N {
				for j := range 100 {
					sink = call(i + j)
				}
				cpu0, ok := cpuTime()
				time.Sleep(idle)
				cpu1, ok1 := cpuTime()
				if !ok || !ok1 {
					return
				}
				burned += cpu1 - cpu0
			}
			b.ReportMetric(float64(burned)/float64(b.N)*float64(time.Second/idle), "idle-cpu-ns/s")
		})
	}
}

// sharers is how many goroutines share the resource in BenchmarkSharedResource.
const sharers = 64

// BenchmarkSharedResource has 64 goroutines call one resource that is not
// safe for concurrent use, b.N calls in all, and reports the time per call
// and the 99th percentile of one call's latency.
func BenchmarkSharedResource(b *testing.B) {
	for _, im := range SharedResource {
		b.Run(im.Name, func(b *testing.B) {
			call, stop := im.Run()
			defer stop()
			lat := make([][]time.Duration, sharers)
			var wg sync.WaitGroup
			b.ResetTimer()
			for g := range sharers {
				n := b.N / sharers
				if g < b.N%sharers {
					n++
				}
				lat[g] = make([]time.Duration, 0, n)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range n {
						t0 := time.Now()
						sink = call(g*n + i)
						lat[g] = append(lat[g], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			if len(all) > 0 {
				b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds()), "p99-ns")
			}
		})
	}
}
