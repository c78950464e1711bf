package synchronicity_test

import (
	"context"
	"iter"
	"runtime"
	"sync"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
)

const (
	mapItems   = 100_000
	mapWorkers = 8
)

// mapInput is the sequence every map benchmark reads: 0..mapItems-1.
var mapInput iter.Seq[int] = func(yield func(int) bool) {
	for i := range mapItems {
		if !yield(i) {
			return
		}
	}
}

// double is the trivial function every map benchmark calls, so that what
// is measured is the map's own cost per item.
func double(_ context.Context, v int) (int, error) { return v * 2, nil }

func perMapItem(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/mapItems, "ns/item")
}

// checkDoubled ranges over seq and checks it saw every doubled item, in
// order if ordered.
func checkDoubled(b *testing.B, seq iter.Seq2[int, error], ordered bool) {
	var s int64 // the sum overflows a 32-bit int
	i := 0
	for v, err := range seq {
		if err != nil {
			b.Fatal(err)
		}
		if ordered && v != 2*i {
			b.Fatalf("item %d: got %d", i, v)
		}
		s += int64(v)
		i++
	}
	if s != int64(mapItems)*(mapItems-1) {
		b.Fatalf("sum %d", s)
	}
}

func BenchmarkMap(b *testing.B) {
	ctx := context.Background()
	l := sy.New()
	defer l.Close()
	b.Run("ordered", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			checkDoubled(b, sy.Map(ctx, l, mapInput, double, sy.Prefetch(mapWorkers)), true)
		}
		perMapItem(b)
	})
	b.Run("unordered", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			checkDoubled(b, sy.Map(ctx, l, mapInput, double, sy.Prefetch(mapWorkers), sy.Unordered()), false)
		}
		perMapItem(b)
	})
	b.Run("handwritten-ordered", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			checkDoubled(b, handwrittenOrderedMap(ctx, mapInput, double, mapWorkers), true)
		}
		perMapItem(b)
	})
	b.Run("handwritten-unordered", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			checkDoubled(b, handwrittenUnorderedMap(ctx, mapInput, double, mapWorkers), false)
		}
		perMapItem(b)
	})
	_ = runtime.GOMAXPROCS
}

type mapResult[R any] struct {
	v   R
	err error
}

// handwrittenOrderedMap is the usual ordered worker pool: a feeder sends
// each input with a channel for its result, in order, both to the workers
// and to the consumer; n workers fill the result channels; the consumer
// receives from them in turn. The results queue bounds the read-ahead.
func handwrittenOrderedMap[A, R any](ctx context.Context, in iter.Seq[A], fn func(context.Context, A) (R, error), n int) iter.Seq2[R, error] {
	type job struct {
		v   A
		out chan mapResult[R]
	}
	return func(yield func(R, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		jobs := make(chan job)
		results := make(chan chan mapResult[R], n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(jobs)
			defer close(results)
			for v := range in {
				out := make(chan mapResult[R], 1)
				select {
				case results <- out:
				case <-ctx.Done():
					return
				}
				select {
				case jobs <- job{v, out}:
				case <-ctx.Done():
					return
				}
			}
		}()
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					r, err := fn(ctx, j.v)
					j.out <- mapResult[R]{r, err}
				}
			}()
		}
		for out := range results {
			r := <-out
			if !yield(r.v, r.err) {
				return
			}
		}
	}
}

// handwrittenUnorderedMap is the usual unordered worker pool: n workers read
// from one jobs channel and send to one results channel.
func handwrittenUnorderedMap[A, R any](ctx context.Context, in iter.Seq[A], fn func(context.Context, A) (R, error), n int) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		jobs := make(chan A)
		results := make(chan mapResult[R], n)
		var wg sync.WaitGroup
		defer func() {
			cancel()
			for range results { // let the workers finish
			}
		}()
		go func() {
			defer close(jobs)
			for v := range in {
				select {
				case jobs <- v:
				case <-ctx.Done():
					return
				}
			}
		}()
		wg.Add(n)
		for range n {
			go func() {
				defer wg.Done()
				for v := range jobs {
					r, err := fn(ctx, v)
					select {
					case results <- mapResult[R]{r, err}:
					case <-ctx.Done():
					}
				}
			}()
		}
		go func() { wg.Wait(); close(results) }()
		for r := range results {
			if !yield(r.v, r.err) {
				return
			}
		}
	}
}
