package bench

import (
	"context"
	"iter"

	"github.com/destel/rill"
	"github.com/samber/lo"
	sy "github.com/synchronicity-go/synchronicity"
)

// A Produce implementation consumes the n values of a producer and returns
// their sum.
type Produce = Impl[func(n int) int]

// ProducerRange consumes the producer in a range loop.
var ProducerRange = []Produce{
	{Library, func(n int) int { return sumSeq2(sy.Seq(ctx, loop, sy.FromSeq(ints(n, nil)))) }},
	{"synchronicity-prefetch256", func(n int) int {
		return sumSeq2(sy.Seq(ctx, loop, sy.FromSeq(ints(n, nil)), sy.Prefetch(256)))
	}},
	{"handwritten-seq", func(n int) int {
		s := 0
		for v := range ints(n, nil) {
			s += v
		}
		return s
	}},
	{"handwritten-chan", func(n int) int { return sumChan(n, 0) }},
	{"handwritten-chan256", func(n int) int { return sumChan(n, 256) }},
	{"iter.Pull", func(n int) int {
		next, stop := iter.Pull(ints(n, nil))
		defer stop()
		s := 0
		for v, ok := next(); ok; v, ok = next() {
			s += v
		}
		return s
	}},
	{"rill", func(n int) int { return sumSeq2(rill.ToSeq2(rill.FromSeq(ints(n, nil), nil))) }},
}

// ProducerChan consumes the producer from a channel.
var ProducerChan = []Produce{
	{Library, func(n int) int {
		s := sy.Start(ctx, loop, sy.FromSeq(ints(n, nil)))
		sum := 0
		for v := range s.C() {
			sum += v
		}
		if err := s.Stop(); err != nil {
			panic(err)
		}
		return sum
	}},
	{"handwritten-chan64", func(n int) int { return sumChan(n, 64) }},
	{"rill", func(n int) int {
		s := 0
		for t := range rill.FromSeq(ints(n, nil), nil) {
			if t.Error != nil {
				panic(t.Error)
			}
			s += t.Value
		}
		return s
	}},
	{"lo.Generator64", func(n int) int {
		s := 0
		//lint:ignore SA1019 lo's channel generator is what lo users have for this
		for v := range lo.Generator(64, func(yield func(int)) {
			for v := range ints(n, nil) {
				yield(v)
			}
		}) {
			s += v
		}
		return s
	}},
}

func sumSeq2(seq iter.Seq2[int, error]) int {
	s := 0
	for v, err := range seq {
		if err != nil {
			panic(err)
		}
		s += v
	}
	return s
}

// sumChan is the hand-written producer goroutine with a channel of the given
// capacity, cancelled through a context as careful code does.
func sumChan(n, size int) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := 0
	for v := range chanOf(ctx, ints(n, nil), size) {
		s += v
	}
	return s
}

// chanOf sends seq's values on a new channel from a new goroutine until seq
// ends or ctx is done.
func chanOf(ctx context.Context, seq iter.Seq[int], size int) <-chan int {
	ch := make(chan int, size)
	go func() {
		defer close(ch)
		for v := range seq {
			select {
			case ch <- v:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}
