// Package ranges ranges over the package's sequences, right and wrong.
package ranges

import (
	"context"
	"fmt"
	"iter"
	"slices"

	sy "github.com/synchronicity-go/synchronicity"
)

func count(ctx context.Context, yield func(int) bool) error {
	for i := range 3 {
		if !yield(i) {
			return nil
		}
	}
	return fmt.Errorf("page 4 failed")
}

var gen = sy.WrapProducer(nil, func(ctx context.Context, n int, yield func(int) bool) error { return count(ctx, yield) })

func double(_ context.Context, v int) (int, error) { return 2 * v, nil }

// Wrong drops the error in every form.
func Wrong(ctx context.Context, cm sy.ContextManager[string]) {
	for v := range sy.Seq(ctx, nil, count) { // want `range over sy.Seq\(\.\.\.\) with one variable drops the error.*for v, err := range sy.Seq\(\.\.\.\) and check err`
		fmt.Println(v)
	}
	for v := range sy.Seq[int](ctx, nil, count, sy.Prefetch(4)) { // want `range over sy.Seq\[int\]\(\.\.\.\) with one variable`
		fmt.Println(v)
	}
	for v := range sy.Map(ctx, nil, slices.Values([]int{1, 2}), double) { // want `range over sy.Map\(\.\.\.\) with one variable`
		fmt.Println(v)
	}
	for f := range sy.With(ctx, cm) { // want `range over sy.With\(\.\.\.\) with one variable`
		fmt.Println(f)
	}
	for v := range gen.Seq(ctx, 3) { // want `range over gen.Seq\(\.\.\.\) with one variable`
		fmt.Println(v)
	}
	s := sy.Start(ctx, nil, count)
	for v := range s.Seq() { // want `range over s.Seq\(\.\.\.\) with one variable`
		fmt.Println(v)
	}
	for range sy.Seq(ctx, nil, count) { // want `range over sy.Seq\(\.\.\.\) with no variables drops the error.*for _, err := range sy.Seq\(\.\.\.\)`
	}
	var v int
	for v = range sy.Seq(ctx, nil, count) { // want `with one variable`
	}
	fmt.Println(v)
	seq := sy.Seq(ctx, nil, count)
	for v := range seq { // want `range over seq with one variable drops the error.*for v, err := range seq and check err`
		fmt.Println(v)
	}
	var pages = gen.Seq(ctx, 1)
	for p := range pages { // want `range over pages with one variable`
		fmt.Println(p)
	}
}

// Right takes the error, or drops it on purpose.
func Right(ctx context.Context, cm sy.ContextManager[string], other iter.Seq2[int, error], names iter.Seq2[int, string]) error {
	for v, err := range sy.Seq(ctx, nil, count) {
		if err != nil {
			return err
		}
		fmt.Println(v)
	}
	for v, _ := range sy.Map(ctx, nil, slices.Values([]int{1, 2}), double) {
		fmt.Println(v)
	}
	for f, err := range sy.With(ctx, cm) {
		fmt.Println(f, err)
	}
	for _, err := range gen.Seq(ctx, 3) {
		fmt.Println(err)
	}
	s := sy.Start(ctx, nil, count)
	for v := range s.C() { // a channel: Err after it closes
		fmt.Println(v)
	}
	if err := s.Err(); err != nil {
		return err
	}
	f := sy.Go(ctx, nil, func(context.Context) (int, error) { return 1, nil })
	for f := range sy.AsCompleted(f) { // iter.Seq of futures: nothing dropped
		fmt.Println(f.Result())
	}
	for v := range other { // not from the package: none of its business
		fmt.Println(v)
	}
	for k := range names { // not (T, error) pairs
		fmt.Println(k)
	}
	seq := sy.Seq(ctx, nil, count)
	for v, err := range seq {
		fmt.Println(v, err)
	}
	return nil
}

// Returned hands the sequence on: its caller ranges over it.
func Returned(ctx context.Context) iter.Seq2[int, error] {
	return sy.Seq(ctx, nil, count)
}
