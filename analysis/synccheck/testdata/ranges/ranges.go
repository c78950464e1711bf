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
	for v := range sy.Map2(ctx, nil, sy.Seq(ctx, nil, count), double) { // want `range over sy.Map2\(\.\.\.\) with one variable`
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
	var pages = sy.Seq(ctx, nil, count)
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
	for _, err := range sy.Map2(ctx, nil, sy.Seq(ctx, nil, count), double) {
		fmt.Println(err)
	}
	s := sy.Start(ctx, nil, count)
	for v := range s.C() { // a channel: Err after it closes
		fmt.Println(v)
	}
	if err := s.Stop(); err != nil {
		return err
	}
	f := sy.Go(ctx, nil, func(context.Context) (int, error) { return 1, nil })
	for i := range sy.AsCompleted(ctx, f) { // index and future, no error: nothing dropped
		fmt.Println(i)
	}
	for _, f := range sy.AsCompleted(ctx, f) {
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
