package synchronicity

import (
	"context"
	"iter"
)

// A Producer is the author's side of a sequence: it calls yield with each
// value in turn and returns nil when done or an error when it fails. yield
// returns false when the consumer has stopped or ctx has ended; the producer
// must then return soon, without calling yield again. The same Producer
// serves blocking consumers ([Seq]) and async ones ([Start]).
type Producer[T any] func(ctx context.Context, yield func(T) bool) error

// FromSeq turns a blocking iterator into a producer, so that it can be
// moved onto a loop, prefetched or streamed.
func FromSeq[T any](seq iter.Seq[T]) Producer[T] {
	if seq == nil {
		panic("synchronicity.FromSeq: nil sequence")
	}
	return func(_ context.Context, yield func(T) bool) error {
		seq(yield) // not a range over seq: that would put a call between them
		return nil
	}
}
