package bench

import (
	"context"
	"sync"

	"github.com/destel/rill"
	"github.com/samber/lo/parallel"
	"github.com/sourcegraph/conc/iter"
	"github.com/sourcegraph/conc/stream"
)

// A MapImpl doubles the n values of a sequence on Workers goroutines and
// returns the results in input order.
type MapImpl = Impl[func(n int) []int]

// Workers is the limit on parallel calls in the OrderedMap job.
const Workers = 8

func double(_ context.Context, v int) (int, error) { return 2 * v, nil }

// OrderedMap maps a sequence in parallel, keeping order. The library's
// implementation is added in map_sy.go.
var OrderedMap = []MapImpl{
	{"handwritten", func(n int) []int {
		type job struct {
			v   int
			out chan int
		}
		jobs := make(chan job, Workers)
		order := make(chan chan int, Workers) // bounds the results in flight
		go func() {
			defer close(order)
			defer close(jobs)
			for v := range ints(n, nil) {
				out := make(chan int, 1)
				order <- out
				jobs <- job{v, out}
			}
		}()
		var wg sync.WaitGroup
		for range Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					j.out <- must(double(ctx, j.v))
				}
			}()
		}
		out := make([]int, 0, n)
		for r := range order {
			out = append(out, <-r)
		}
		wg.Wait()
		return out
	}},
	{"errgroup", func(n int) []int { return errgroupMap(indices(n), Workers, double) }},
	{"rill", func(n int) []int {
		out := make([]int, 0, n)
		for v, err := range rill.ToSeq2(rill.OrderedMap(rill.FromSeq(ints(n, nil), nil), Workers, func(v int) (int, error) {
			return double(ctx, v)
		})) {
			out = append(out, must(v, err))
		}
		return out
	}},
	{"conc-stream", func(n int) []int {
		s := stream.New().WithMaxGoroutines(Workers)
		out := make([]int, 0, n)
		for v := range ints(n, nil) {
			s.Go(func() stream.Callback {
				r := must(double(ctx, v))
				return func() { out = append(out, r) }
			})
		}
		s.Wait()
		return out
	}},
	{"conc-iter.Map", func(n int) []int {
		return must(iter.Mapper[int, int]{MaxGoroutines: Workers}.MapErr(indices(n), func(v *int) (int, error) {
			return double(ctx, *v)
		}))
	}},
	{"lo-parallel.Map", func(n int) []int {
		return parallel.Map(indices(n), func(v, _ int) int { return must(double(ctx, v)) })
	}},
}
