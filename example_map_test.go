package synchronicity_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	sy "github.com/synchronicity-go/synchronicity"
)

// Map calls a function for every value of a sequence, several at once, and
// yields the results in input order.
func ExampleMap() {
	words := slices.Values([]string{"map", "calls", "fn", "in", "parallel"})
	upper := func(ctx context.Context, w string) (string, error) { return strings.ToUpper(w), nil }
	for w, err := range sy.Map(context.Background(), nil, words, upper) {
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(w)
	}
	// Output:
	// MAP
	// CALLS
	// FN
	// IN
	// PARALLEL
}

// Unordered yields each result as soon as its call returns. Here each call
// waits for the one after it, so the results come out in reverse.
func ExampleUnordered() {
	done := make([]chan struct{}, 4)
	for i := range done {
		done[i] = make(chan struct{})
	}
	wait := func(ctx context.Context, i int) (int, error) {
		if i+1 < len(done) {
			<-done[i+1]
		}
		close(done[i])
		return i, nil
	}
	for i, err := range sy.Map(context.Background(), nil, slices.Values([]int{0, 1, 2, 3}), wait, sy.Workers(4), sy.Unordered()) {
		fmt.Println(i, err)
	}
	// Output:
	// 3 <nil>
	// 2 <nil>
	// 1 <nil>
	// 0 <nil>
}

// With StopOnError the first error cancels the calls in flight and is the
// last pair yielded; without it, each error is yielded in its item's place.
func ExampleStopOnError() {
	parse := func(ctx context.Context, s string) (int, error) {
		var n int
		_, err := fmt.Sscan(s, &n)
		return n, err
	}
	in := slices.Values([]string{"1", "x", "3"})
	for n, err := range sy.Map(context.Background(), nil, in, parse, sy.Workers(1)) {
		fmt.Println(n, err != nil)
	}
	fmt.Println("--")
	for n, err := range sy.Map(context.Background(), nil, in, parse, sy.Workers(1), sy.StopOnError()) {
		fmt.Println(n, err != nil)
	}
	// Output:
	// 1 false
	// 0 true
	// 3 false
	// --
	// 1 false
	// 0 true
}

// Workers bounds how many calls run at once, and how far ahead of the loop
// body the input is read.
func ExampleWorkers() {
	var mu sync.Mutex
	running, most := 0, 0
	square := func(ctx context.Context, v int) (int, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		defer func() {
			mu.Lock()
			running--
			mu.Unlock()
		}()
		return v * v, nil
	}
	sum := 0
	for v, err := range sy.Map(context.Background(), nil, slices.Values([]int{1, 2, 3, 4, 5, 6}), square, sy.Workers(2)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		sum += v
	}
	fmt.Println("sum of squares:", sum)
	fmt.Println("at most two at once:", most <= 2)
	// Output:
	// sum of squares: 91
	// at most two at once: true
}
