package bench

import (
	"slices"
	"sync"
	"testing"
)

// Every implementation must do its job right on a small input; the
// benchmarks then run the same code at full size.

func TestProducerRange(t *testing.T) { testProduce(t, ProducerRange) }
func TestProducerChan(t *testing.T)  { testProduce(t, ProducerChan) }

func testProduce(t *testing.T, impls []Produce) {
	for _, im := range impls {
		t.Run(im.Name, func(t *testing.T) {
			for _, n := range []int{0, 1, 1000} {
				if got, want := im.Run(n), n*(n-1)/2; got != want {
					t.Errorf("n=%d: sum %d, want %d", n, got, want)
				}
			}
		})
	}
}

func TestEarlyBreak(t *testing.T) {
	for _, im := range EarlyBreak {
		t.Run(im.Name, func(t *testing.T) {
			sum, cleanup := im.Run(10)
			if cleanup != nil {
				cleanup()
			}
			if sum != 45 {
				t.Errorf("sum of the first 10 values is %d, want 45", sum)
			}
		})
	}
}

func TestFanOut(t *testing.T) {
	want := indices(100)
	for _, im := range FanOut {
		t.Run(im.Name, func(t *testing.T) {
			got := im.Run(len(want))
			if im.Name == "conc-pool" { // the one that does not keep order
				slices.Sort(got)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestOrderedMap(t *testing.T) {
	want := make([]int, 1000)
	for i := range want {
		want[i] = 2 * i
	}
	for _, im := range OrderedMap {
		t.Run(im.Name, func(t *testing.T) {
			if got := im.Run(len(want)); !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, im := range RoundTrip {
		t.Run(im.Name, func(t *testing.T) {
			call, stop := im.Run()
			defer stop()
			for x := range 100 {
				if got := call(x); got != x+1 {
					t.Fatalf("call(%d) = %d, want %d", x, got, x+1)
				}
			}
		})
	}
}

// TestJobs checks that every job has implementations and a report entry.
func TestJobs(t *testing.T) {
	counts := map[string]int{
		"ProducerRange": len(ProducerRange), "ProducerChan": len(ProducerChan), "EarlyBreak": len(EarlyBreak),
		"FanOut": len(FanOut), "OrderedMap": len(OrderedMap), "RoundTrip": len(RoundTrip),
		"RoundTripLoaded": len(RoundTrip), "SparseCalls": len(RoundTrip), "Idle": len(RoundTrip),
		"SharedResource": len(SharedResource),
	}
	if len(Jobs) != len(counts) {
		t.Errorf("%d jobs described, %d benchmarked", len(Jobs), len(counts))
	}
	for _, j := range Jobs {
		if counts[j.Bench] == 0 {
			t.Errorf("job %s has no implementations", j.Bench)
		}
	}
	for _, im := range EarlyBreak {
		if _, ok := LeaksOnBreak[im.Name]; !ok {
			t.Errorf("LeaksOnBreak has no entry for %s", im.Name)
		}
	}
}

// TestSharedResource has many goroutines share the resource through each
// implementation: every call is applied once, and none overlaps another
// (the race detector would see it).
func TestSharedResource(t *testing.T) {
	for _, im := range SharedResource {
		t.Run(im.Name, func(t *testing.T) {
			call, stop := im.Run()
			defer stop()
			var wg sync.WaitGroup
			var mu sync.Mutex
			most := 0
			for g := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 50 {
						v := call(64 * (g*50 + i)) // row 0
						mu.Lock()
						most = max(most, v)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			want := 0
			for k := range 16 * 50 {
				want += 64 * k
			}
			if most != want {
				t.Errorf("row 0 reached %d, want %d", most, want)
			}
		})
	}
}
