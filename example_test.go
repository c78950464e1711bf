package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	sy "github.com/synchronicity-go/synchronicity"
)

// fetch stands for any function worth exporting both ways: it takes a
// context first and returns an error last.
func fetch(ctx context.Context, id int) (string, error) {
	select {
	case <-time.After(10 * time.Millisecond):
		return fmt.Sprintf("item-%d", id), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func ExampleCall() {
	l := sy.New()
	defer l.Close()
	v, err := sy.Call(context.Background(), l, func(ctx context.Context) (string, error) {
		return fetch(ctx, 1)
	})
	fmt.Println(v, err)
	// Output: item-1 <nil>
}

func ExampleGo() {
	l := sy.New()
	defer l.Close()
	f := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) {
		return fetch(ctx, 2)
	})
	select {
	case <-f.Done():
		fmt.Println(f.Result())
	case <-time.After(time.Minute):
		fmt.Println("too slow")
	}
	// Output: item-2 <nil>
}

func ExampleWrap() {
	l := sy.New()
	defer l.Close()
	get := sy.Wrap(l, fetch)

	v, _ := get.Call(context.Background(), 1) // blocking
	fmt.Println(v)

	fs := make([]*sy.Future[string], 3) // async: fan out, then combine
	for i := range fs {
		fs[i] = get.Go(context.Background(), i+10)
	}
	vs, err := sy.All(context.Background(), fs...)
	fmt.Println(vs, err)
	// Output:
	// item-1
	// [item-10 item-11 item-12] <nil>
}

func ExampleNew() {
	l := sy.New(sy.Name("api"), sy.Limit(4))
	defer l.Close()
	fmt.Println(l)
	// Output: synchronicity.Loop(api)
}

// A serial loop runs everything on one goroutine, in order: a resource that
// is not safe for concurrent use needs no lock. LockOSThread also pins that
// goroutine to one OS thread, for thread-affine C libraries.
func ExampleSerial() {
	l := sy.New(sy.Serial())
	defer l.Close()
	var log []string // touched only by the loop's goroutine
	fs := make([]*sy.Future[int], 3)
	for i := range fs {
		fs[i] = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
			log = append(log, fmt.Sprint("job ", i))
			return len(log), nil
		})
	}
	n, _ := sy.All(context.Background(), fs...)
	fmt.Println(n, strings.Join(log, ", "))
	// Output: [1 2 3] job 0, job 1, job 2
}

func ExampleLockOSThread() {
	l := sy.New(sy.LockOSThread())
	defer l.Close()
	// Every task, from any goroutine, runs on the loop's one thread; a call
	// made from inside a task runs inline rather than deadlocking.
	v, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
		return sy.Call(ctx, l, func(ctx context.Context) (int, error) { return 42, nil })
	})
	fmt.Println(v, err)
	// Output: 42 <nil>
}

func ExampleDefault() {
	// A nil loop means the default loop, which scripts need not close.
	v, err := sy.Call(context.Background(), nil, func(ctx context.Context) (string, error) {
		return fetch(ctx, 3)
	})
	fmt.Println(v, err, sy.Default())
	// Output: item-3 <nil> synchronicity.Loop(default)
}

func ExampleLoop_Close() {
	l := sy.New()
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
		<-ctx.Done() // Close cancels work in flight...
		return 0, ctx.Err()
	})
	fmt.Println(l.Close()) // ...and waits for it
	_, err := f.Result()
	fmt.Println(errors.Is(err, sy.ErrClosed))
	_, err = sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 1, nil })
	fmt.Println(err)
	// Output:
	// <nil>
	// true
	// synchronicity.Call: synchronicity: loop closed
}

func ExampleLoop_Shutdown() {
	l := sy.New()
	f := sy.Go(context.Background(), l, fetchOne)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fmt.Println(l.Shutdown(ctx)) // lets fetchOne finish
	fmt.Println(f.Result())
	// Output:
	// <nil>
	// item-1 <nil>
}

func fetchOne(ctx context.Context) (string, error) { return fetch(ctx, 1) }

func ExampleOnPanic() {
	l := sy.New(sy.OnPanic(func(p *sy.PanicError) { fmt.Println("unobserved:", p.Value) }))
	f := sy.Go(context.Background(), l, func(ctx context.Context) (int, error) { panic("oops") })
	<-f.Done()
	err := l.Close() // nobody called f.Result, so Close reports the panic
	var p *sy.PanicError
	fmt.Println(errors.As(err, &p))
	// Output:
	// unobserved: oops
	// true
}

func ExamplePanicError() {
	defer func() {
		p := recover().(*sy.PanicError)
		fmt.Println(p.Value, strings.Contains(string(p.Stack), "goroutine"))
	}()
	_, _ = sy.Call(context.Background(), nil, func(ctx context.Context) (int, error) { panic("bad input") })
	// Output: bad input true
}

func ExampleFuture_Wait() {
	l := sy.New()
	defer l.Close()
	f := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := f.Wait(ctx) // gives up waiting; the task goes on
	fmt.Println(err)
	f.Cancel() // this ends it
	_, err = f.Result()
	fmt.Println(err)
	// Output:
	// context deadline exceeded
	// context canceled
}

func ExampleNewPromise() {
	f, settle := sy.NewPromise[string]()
	onDone := func(cb func(string, error)) { go cb("from a callback", nil) } // a callback API
	onDone(func(v string, err error) { settle(v, err) })
	fmt.Println(f.Result())
	fmt.Println(settle("too late", nil)) // the first settle wins
	// Output:
	// from a callback <nil>
	// false
}

func ExampleAll() {
	l := sy.New()
	defer l.Close()
	fail := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) { return "", errors.New("not found") })
	slow := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) {
		<-ctx.Done() // cancelled by the failure
		return "", ctx.Err()
	})
	_, err := sy.All(context.Background(), fail, slow)
	fmt.Println(err)
	_, err = slow.Result()
	fmt.Println(err)
	// Output:
	// not found
	// context canceled
}

func ExampleAny() {
	l := sy.New()
	defer l.Close()
	mirror := sy.Wrap(l, func(ctx context.Context, name string) (string, error) {
		if name == "down" {
			return "", errors.New(name + ": unreachable")
		}
		return "served by " + name, nil
	})
	v, err := sy.Any(context.Background(), mirror.Go(context.Background(), "down"), mirror.Go(context.Background(), "up"))
	fmt.Println(v, err)
	// Output: served by up <nil>
}

func ExampleRace() {
	l := sy.New()
	defer l.Close()
	quick := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) { return "quick", nil })
	never := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	fmt.Println(sy.Race(context.Background(), quick, never))
	// Output: quick <nil>
}

func ExampleAsCompleted() {
	l := sy.New()
	defer l.Close()
	var fs []*sy.Future[time.Duration]
	for _, d := range []time.Duration{30, 10, 20} {
		fs = append(fs, sy.Go(context.Background(), l, func(ctx context.Context) (time.Duration, error) {
			time.Sleep(d * time.Millisecond)
			return d, nil
		}))
	}
	for f := range sy.AsCompleted(fs...) {
		d, _ := f.Result() // settled already
		fmt.Println(d)
	}
	// Output:
	// 10ns
	// 20ns
	// 30ns
}

// countdown is a producer: it yields values until yield returns false or
// its context ends, and its deferred cleanup always runs.
func countdown(ctx context.Context, yield func(int) bool) error {
	defer fmt.Println("countdown: cleaned up")
	for i := 3; i > 0; i-- {
		if !yield(i) {
			return nil
		}
	}
	return errors.New("liftoff")
}

func ExampleSeq() {
	for v, err := range sy.Seq(context.Background(), nil, countdown) {
		if err != nil {
			fmt.Println("error:", err) // the producer's error comes last
			break
		}
		fmt.Println(v)
	}
	// Output:
	// 3
	// 2
	// 1
	// countdown: cleaned up
	// error: liftoff
}

// Breaking out of the loop stops the producer, and its cleanup has run
// before the range statement ends.
func ExampleSeq_break() {
	for v := range sy.Seq(context.Background(), nil, countdown) {
		fmt.Println(v)
		break
	}
	fmt.Println("after the loop")
	// Output:
	// 3
	// countdown: cleaned up
	// after the loop
}

func ExamplePrefetch() {
	// Up to 64 values are produced ahead of the loop body, on another
	// goroutine: worth it when both sides do real work.
	var got []int
	for v, err := range sy.Seq(context.Background(), nil, sy.FromSeq(slices.Values([]int{1, 2, 3})), sy.Prefetch(64)) {
		if err != nil {
			return
		}
		got = append(got, v)
	}
	fmt.Println(got)
	// Output: [1 2 3]
}

// liftoff is countdown without the print in its cleanup, which a stream
// runs whenever the producer finishes, not in step with the receiver.
func liftoff(ctx context.Context, yield func(int) bool) error {
	for i := 3; i > 0; i-- {
		if !yield(i) {
			return nil
		}
	}
	return errors.New("liftoff")
}

func ExampleStart() {
	s := sy.Start(context.Background(), nil, liftoff)
	defer s.Stop()
	timeout := time.After(time.Minute)
	for {
		select {
		case v, ok := <-s.C():
			if !ok {
				fmt.Println("error:", s.Err())
				return
			}
			fmt.Println(v)
		case <-timeout:
			return
		}
	}
	// Output:
	// 3
	// 2
	// 1
	// error: liftoff
}

func ExampleStream_Stop() {
	s := sy.Start(context.Background(), nil, countdown, sy.Prefetch(1))
	fmt.Println(<-s.C())
	fmt.Println(s.Stop()) // cancels the producer and waits for its cleanup
	// Output:
	// 3
	// countdown: cleaned up
	// <nil>
}

func ExampleStream_Seq() {
	s := sy.Start(context.Background(), nil, liftoff)
	for v, err := range s.Seq() {
		fmt.Println(v, err)
	}
	// Output:
	// 3 <nil>
	// 2 <nil>
	// 1 <nil>
	// 0 liftoff
}

func ExampleFromSeq() {
	words := sy.FromSeq(slices.Values(strings.Fields("moved onto a loop")))
	s := sy.Start(context.Background(), nil, words)
	defer s.Stop()
	var out []string
	for w := range s.C() {
		out = append(out, strings.ToUpper(w))
	}
	fmt.Println(strings.Join(out, " "))
	// Output: MOVED ONTO A LOOP
}

func ExampleWrapProducer() {
	l := sy.New()
	defer l.Close()
	squares := sy.WrapProducer(l, func(ctx context.Context, n int, yield func(int) bool) error {
		for i := range n {
			if !yield(i * i) {
				return nil
			}
		}
		return nil
	})
	for v, err := range squares.Seq(context.Background(), 4) { // blocking
		fmt.Println(v, err)
	}
	s := squares.Start(context.Background(), 3) // async
	defer s.Stop()
	for v := range s.C() {
		fmt.Println(v)
	}
	// Output:
	// 0 <nil>
	// 1 <nil>
	// 4 <nil>
	// 9 <nil>
	// 0
	// 1
	// 4
}
