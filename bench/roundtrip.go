package bench

import (
	"context"
	"runtime"

	sy "github.com/synchronicity-go/synchronicity"
	"golang.design/x/mainthread"
)

// A RoundTripImpl sets up a dedicated goroutine and returns a call that runs
// x+1 there and returns the result, and a stop that ends the goroutine.
type RoundTripImpl = Impl[func() (call func(x int) int, stop func())]

func inc(_ context.Context, x int) (int, error) { return x + 1, nil }

// RoundTrip calls a function on one dedicated goroutine and waits for it.
//
// mainthread's calls run on the main goroutine, so they answer only while
// mainthread.Init is running: the package's TestMain runs the tests inside
// it.
var RoundTrip = []RoundTripImpl{
	{Library, func() (func(int) int, func()) { return syCall(sy.New(sy.LockOSThread())) }},
	{"synchronicity-serial", func() (func(int) int, func()) { return syCall(sy.New(sy.Serial())) }},
	{"handwritten-locked", func() (func(int) int, func()) {
		type req struct {
			x     int
			reply chan int // one per call: callers may be concurrent
		}
		reqs, done := make(chan req), make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for r := range reqs {
				r.reply <- must(inc(ctx, r.x))
			}
		}()
		call := func(x int) int {
			r := req{x, make(chan int, 1)}
			reqs <- r
			return <-r.reply
		}
		return call, func() { close(reqs); <-done }
	}},
	{"mainthread", func() (func(int) int, func()) {
		return func(x int) (y int) {
			mainthread.Call(func() { y = must(inc(ctx, x)) })
			return y
		}, func() {}
	}},
}

func syCall(l *sy.Loop) (func(int) int, func()) {
	call := func(x int) int {
		return must(sy.Call(ctx, l, func(ctx context.Context) (int, error) { return inc(ctx, x) }))
	}
	return call, func() { must(0, l.Close()) }
}
