package bench

import (
	"context"
	"sync"

	"github.com/reugn/async"
	"github.com/samber/lo"
	"github.com/samber/lo/parallel"
	"github.com/sourcegraph/conc/iter"
	"github.com/sourcegraph/conc/pool"
	sy "github.com/synchronicity-go/synchronicity"
	"golang.org/x/sync/errgroup"
)

// A FanOutImpl runs n tasks, task i returning i, and collects every result.
// The results come back in task order unless the implementation cannot
// order them (conc's pool).
type FanOutImpl = Impl[func(n int) []int]

func index(_ context.Context, i int) (int, error) { return i, nil }

// FanOut starts one task per index and waits for all of them.
var FanOut = []FanOutImpl{
	{Library, func(n int) []int {
		fs := make([]*sy.Future[int], n)
		for i := range fs {
			fs[i] = sy.Go(ctx, loop, func(ctx context.Context) (int, error) { return index(ctx, i) })
		}
		return must(sy.All(ctx, fs...))
	}},
	{"synchronicity-wrap", func(n int) []int {
		f := sy.Wrap(loop, index)
		fs := make([]*sy.Future[int], n)
		for i := range fs {
			fs[i] = f.Go(ctx, i)
		}
		return must(sy.All(ctx, fs...))
	}},
	{"handwritten", func(n int) []int {
		out := make([]int, n)
		var wg sync.WaitGroup
		wg.Add(n)
		for i := range out {
			go func() {
				defer wg.Done()
				out[i], _ = index(ctx, i)
			}()
		}
		wg.Wait()
		return out
	}},
	{"errgroup", func(n int) []int { return errgroupMap(indices(n), -1, index) }},
	{"conc-pool", func(n int) []int {
		p := pool.NewWithResults[int]().WithErrors().WithContext(ctx)
		for i := range n {
			p.Go(func(ctx context.Context) (int, error) { return index(ctx, i) })
		}
		return must(p.Wait())
	}},
	{"conc-iter.Map", func(n int) []int {
		return must(iter.MapErr(indices(n), func(i *int) (int, error) { return index(ctx, *i) }))
	}},
	{"async", func(n int) []int {
		fs := make([]async.Future[int], n)
		for i := range fs {
			fs[i] = async.NewTask(func() (int, error) { return index(ctx, i) }).Call()
		}
		out := make([]int, n)
		for i, f := range fs {
			out[i] = must(f.Join())
		}
		return out
	}},
	{"lo.Async", func(n int) []int {
		chs := make([]<-chan lo.Tuple2[int, error], n)
		for i := range chs {
			chs[i] = lo.Async2(func() (int, error) { return index(ctx, i) })
		}
		out := make([]int, n)
		for i, ch := range chs {
			out[i] = must((<-ch).Unpack())
		}
		return out
	}},
	{"lo-parallel.Map", func(n int) []int {
		return parallel.Map(indices(n), func(i, _ int) int { return must(index(ctx, i)) })
	}},
}

// errgroupMap calls fn on each value of in, at most limit at once (-1: no
// limit), with errgroup, and returns the results in order.
func errgroupMap(in []int, limit int, fn func(context.Context, int) (int, error)) []int {
	out := make([]int, len(in))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i, v := range in {
		g.Go(func() (err error) {
			out[i], err = fn(ctx, v)
			return err
		})
	}
	must(0, g.Wait())
	return out
}

func indices(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// must panics on err: the jobs never fail, so an error is a broken benchmark.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
