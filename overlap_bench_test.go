package synchronicity_test

import (
	"context"
	"sync"
	"testing"
	"time"

	sy "github.com/synchronicity-go/synchronicity"
)

// What Prefetch is for: a producer and a loop body that each take about a
// microsecond per item. Lockstep costs the sum of the two; prefetching should
// cost about the slower side alone, which floor measures (the producer,
// ranged over with nothing in the body).

const overlapItems = 1000

// spinFor is the number of spin iterations that take about a microsecond,
// measured once.
var spinFor = sync.OnceValue(func() int {
	n := 1 << 10
	for {
		start := time.Now()
		spin(n)
		if d := time.Since(start); d >= 100*time.Microsecond {
			return int(float64(n) * float64(time.Microsecond) / float64(d))
		}
		n *= 2
	}
})

var spinSink uint64

// spin does n steps of CPU work that the compiler cannot remove.
func spin(n int) {
	x := spinSink | 1
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	spinSink = x
}

// A side is one half of the pipeline's work for an item.
type side func()

// overlapProducer yields overlapItems values, doing work before each.
func overlapProducer(work side) sy.Producer[int] {
	return func(ctx context.Context, yield func(int) bool) error {
		for i := range overlapItems {
			work()
			if !yield(i) {
				return nil
			}
		}
		return nil
	}
}

// server answers each request after about a microsecond of CPU work on a
// goroutine of its own: to the side that asks, a blocking wait, as for a
// remote service, rather than work on its own goroutine.
type server struct {
	req, rep chan struct{}
}

func startServer(b *testing.B) *server {
	s := &server{req: make(chan struct{}), rep: make(chan struct{})}
	n := spinFor()
	go func() {
		for range s.req {
			spin(n)
			s.rep <- struct{}{}
		}
	}()
	b.Cleanup(func() { close(s.req) })
	return s
}

func (s *server) wait() {
	s.req <- struct{}{}
	<-s.rep
}

func BenchmarkOverlap(b *testing.B) {
	n := spinFor()
	cpu := func() side { return func() { spin(n) } }
	benchOverlap(b, cpu, cpu)
}

func BenchmarkOverlapWait(b *testing.B) {
	benchOverlap(b,
		func() side { return startServer(b).wait },
		func() side { return startServer(b).wait })
}

func benchOverlap(b *testing.B, producerSide, bodySide func() side) {
	ctx := context.Background()
	l := sy.New()
	defer l.Close()
	perItem := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/overlapItems, "ns/item")
	}
	run := func(b *testing.B, opts ...sy.SeqOption) {
		p, body := overlapProducer(producerSide()), bodySide()
		seq := sy.Seq(ctx, l, p, opts...)
		b.ResetTimer()
		for range b.N {
			count := 0
			for _, err := range seq {
				if err != nil {
					b.Fatal(err)
				}
				body()
				count++
			}
			if count != overlapItems {
				b.Fatalf("%d items", count)
			}
		}
		perItem(b)
	}
	b.Run("lockstep", func(b *testing.B) { run(b) })
	b.Run("prefetch", func(b *testing.B) { run(b, sy.Prefetch(64)) })
	// parallel runs the two sides' work for every item on two goroutines
	// that never talk: what prefetching can reach on this machine. Where
	// it is well above floor, the process is not getting two cores.
	b.Run("parallel", func(b *testing.B) {
		p, body := overlapProducer(producerSide()), bodySide()
		b.ResetTimer()
		for range b.N {
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range overlapItems {
					body()
				}
			}()
			_ = p(ctx, func(int) bool { return true })
			wg.Wait()
		}
		perItem(b)
	})
	b.Run("floor", func(b *testing.B) {
		p := overlapProducer(producerSide())
		b.ResetTimer()
		for range b.N {
			count := 0
			_ = p(ctx, func(int) bool { count++; return true })
			if count != overlapItems {
				b.Fatalf("%d items", count)
			}
		}
		perItem(b)
	})
}
