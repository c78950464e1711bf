package bench

import (
	"context"
	"iter"
	"sync/atomic"

	"github.com/destel/rill"
	"github.com/samber/lo"
	sy "github.com/synchronicity-go/synchronicity"
)

// A Break implementation takes the first k values of an endless producer,
// stops, and returns their sum. If it leaves goroutines behind, cleanup ends
// them (by making the producer stop by itself); it is for the tests, not part
// of the implementation, and nil when there is nothing to end.
type Break = Impl[func(k int) (sum int, cleanup func())]

// LeaksOnBreak records which EarlyBreak implementations leave a goroutine
// behind once the consumer has stopped. TestEarlyBreakLeaks checks it.
var LeaksOnBreak = map[string]bool{
	Library:                     false,
	"synchronicity-prefetch256": false,
	"synchronicity-stream":      false,
	"handwritten-seq":           false,
	"handwritten-chan-ctx":      false,
	"handwritten-chan":          true, // nothing tells the goroutine to stop: blocked in send for ever
	"iter.Pull":                 false,
	"rill":                      true, // ToSeq2 drains the rest in the background: an endless producer runs for ever
	"rill-ctx":                  false,
	"lo.Generator":              true, // no way to stop the generator: blocked in send for ever
}

// EarlyBreak takes 10 values of an endless producer and stops.
var EarlyBreak = []Break{
	{Library, func(k int) (int, func()) {
		return takeSeq2(k, sy.Seq(ctx, loop, sy.FromSeq(ints(-1, nil)))), nil
	}},
	{"synchronicity-prefetch256", func(k int) (int, func()) {
		return takeSeq2(k, sy.Seq(ctx, loop, sy.FromSeq(ints(-1, nil)), sy.Prefetch(256))), nil
	}},
	{"synchronicity-stream", func(k int) (int, func()) {
		s := sy.Start(ctx, loop, sy.FromSeq(ints(-1, nil)))
		defer s.Stop()
		return takeChan(k, s.C()), nil
	}},
	{"handwritten-seq", func(k int) (int, func()) { return take(k, ints(-1, nil)), nil }},
	{"handwritten-chan-ctx", func(k int) (int, func()) {
		ctx, cancel := context.WithCancel(ctx)
		ch := chanOf(ctx, ints(-1, nil), 0)
		sum := takeChan(k, ch)
		cancel()
		drain(ch) // wait for the producer to return
		return sum, nil
	}},
	{"handwritten-chan", func(k int) (int, func()) {
		halt := new(atomic.Bool)
		ch := make(chan int)
		go func() {
			defer close(ch)
			for v := range ints(-1, halt) {
				ch <- v
			}
		}()
		return takeChan(k, ch), func() { halt.Store(true); drain(ch) }
	}},
	{"iter.Pull", func(k int) (int, func()) {
		next, stop := iter.Pull(ints(-1, nil))
		defer stop()
		sum := 0
		for range k {
			v, _ := next()
			sum += v
		}
		return sum, nil
	}},
	{"rill", func(k int) (int, func()) {
		halt := new(atomic.Bool)
		return takeSeq2(k, rill.ToSeq2(rill.FromSeq(ints(-1, halt), nil))), func() { halt.Store(true) }
	}},
	{"rill-ctx", func(k int) (int, func()) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel() // the generator sees it, and ToSeq2 drains what it sends meanwhile
		return takeSeq2(k, rill.ToSeq2(rill.Generate(func(send func(int), _ func(error)) {
			for v := range ints(-1, nil) {
				if ctx.Err() != nil {
					return
				}
				send(v)
			}
		}))), nil
	}},
	{"lo.Generator", func(k int) (int, func()) {
		halt := new(atomic.Bool)
		//lint:ignore SA1019 lo's channel generator is what lo users have for this
		ch := lo.Generator(0, func(yield func(int)) {
			for v := range ints(-1, halt) {
				yield(v)
			}
		})
		return takeChan(k, ch), func() { halt.Store(true); drain(ch) }
	}},
}

func take(k int, seq iter.Seq[int]) int {
	sum := 0
	for v := range seq {
		sum += v
		if k--; k == 0 {
			break
		}
	}
	return sum
}

func takeSeq2(k int, seq iter.Seq2[int, error]) int {
	return take(k, func(yield func(int) bool) {
		for v, err := range seq {
			if err != nil {
				panic(err)
			}
			if !yield(v) {
				return
			}
		}
	})
}

func takeChan(k int, ch <-chan int) int {
	sum := 0
	for range k {
		sum += <-ch
	}
	return sum
}

func drain[T any](ch <-chan T) {
	for range ch {
	}
}
