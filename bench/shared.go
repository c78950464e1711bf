package bench

import (
	"context"
	"sync"

	sy "github.com/synchronicity-go/synchronicity"
)

// resource is a shared resource that is not safe for concurrent use: a
// small table and a counter, updated by each call.
type resource struct {
	table map[int]int
	calls int
}

func newResource() *resource { return &resource{table: map[int]int{}} }

// apply adds k to its row and returns the row's total.
func (r *resource) apply(k int) int {
	r.calls++
	r.table[k%64] += k
	return r.table[k%64]
}

// A SharedImpl sets up one resource behind a way of sharing it, and returns
// the call that many goroutines make, and a stop.
type SharedImpl = Impl[func() (call func(k int) int, stop func())]

// SharedResource shares one resource among many goroutines: through a
// serial loop, as a syncgen façade does; through a mutex; and through a
// hand-written actor, one goroutine that owns the resource and answers
// requests on a channel.
var SharedResource = []SharedImpl{
	{Library, func() (func(int) int, func()) {
		l := sy.New(sy.Serial())
		r := newResource()
		call := func(k int) int {
			return must(sy.Call(ctx, l, func(context.Context) (int, error) { return r.apply(k), nil }))
		}
		return call, func() { must(0, l.Close()) }
	}},
	{"mutex", func() (func(int) int, func()) {
		var mu sync.Mutex
		r := newResource()
		return func(k int) int {
			mu.Lock()
			defer mu.Unlock()
			return r.apply(k)
		}, func() {}
	}},
	{"actor", func() (func(int) int, func()) {
		type req struct {
			k     int
			reply chan int
		}
		reqs, done := make(chan req), make(chan struct{})
		go func() {
			defer close(done)
			r := newResource()
			for q := range reqs {
				q.reply <- r.apply(q.k)
			}
		}()
		replies := sync.Pool{New: func() any { return make(chan int, 1) }}
		return func(k int) int {
			reply := replies.Get().(chan int)
			reqs <- req{k, reply}
			v := <-reply
			replies.Put(reply)
			return v
		}, func() { close(reqs); <-done }
	}},
}
