// Command quickstart walks through synchronicity: write a function and a
// producer once, then use each of them blocking, as a script would, and
// asynchronously, as concurrent code would.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	sy "github.com/synchronicity-go/synchronicity"
)

// fetch is the one function the library author writes: it takes a context
// and an argument, and returns a result and an error. It pretends to be a
// slow network call, and it gives up as soon as its context ends.
func fetch(ctx context.Context, id int) (string, error) {
	select {
	case <-time.After(100 * time.Millisecond):
		return fmt.Sprintf("item-%d", id), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// count returns a producer of 1..n: it hands values to yield one at a
// time, stops when yield returns false, and returns an error if it fails.
// Like a real source it takes a moment for each next value, and watches its
// context meanwhile. Its deferred cleanup runs however the consumer leaves.
func count(n int) sy.Producer[int] {
	return func(ctx context.Context, yield func(int) bool) error {
		defer fmt.Println("  count: cleaned up")
		for i := 1; i <= n; i++ {
			if !yield(i) {
				return nil // the consumer has stopped
			}
			select {
			case <-time.After(10 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
}

// transaction is a context manager written as one function, like Python's
// @contextmanager: set up, hand the value to the body through yield, tear
// down. yield returns how the body ended, so teardown can choose.
var transaction = sy.Scoped(func(ctx context.Context, yield func(*[]string) error) error {
	var ops []string
	if err := yield(&ops); err != nil {
		fmt.Println("  rollback", ops, "because:", err)
		return err // pass the body's error on
	}
	fmt.Println("  commit", ops)
	return nil
})

// transfer uses the manager with Enter and a deferred exit: exit hands
// transfer's error to the manager and stores the manager's verdict in err.
func transfer(ctx context.Context, amount int) (err error) {
	tx, exit, err := sy.Enter(ctx, transaction)
	if err != nil {
		return err
	}
	defer exit(&err)
	*tx = append(*tx, fmt.Sprint("debit ", amount))
	if amount > 100 {
		return errors.New("insufficient funds")
	}
	*tx = append(*tx, fmt.Sprint("credit ", amount))
	return nil
}

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	// A loop owns everything started through it. Close cancels what is still
	// running and waits for it; CancelOnInterrupt turns Ctrl-C into that
	// cancellation, so deferred cleanup runs.
	l := sy.New(sy.Name("quickstart"), sy.CancelOnInterrupt())
	defer l.Close()

	// Export the function once, usable both ways.
	Fetch := sy.Wrap(l, fetch)

	fmt.Println("1. blocking call")
	v, err := Fetch.Call(ctx, 1)
	if err != nil {
		return err
	}
	fmt.Println("  got", v)

	fmt.Println("2. the same function as a future")
	f := Fetch.Go(ctx, 2) // starts at once
	fmt.Println("  doing other work while item-2 is fetched...")
	if v, err = f.Result(); err != nil { // blocks until it settles
		return err
	}
	fmt.Println("  got", v)

	fmt.Println("3. ten futures at once")
	start := time.Now()
	var fs []*sy.Future[string]
	for id := range 10 {
		fs = append(fs, Fetch.Go(ctx, id))
	}
	all, err := sy.All(ctx, fs...) // the first error would cancel the rest
	if err != nil {
		return err
	}
	fmt.Printf("  %d results in %v, about the time of one\n", len(all), time.Since(start).Round(100*time.Millisecond))

	// The same producer serves both ways.
	fmt.Println("4. a producer in a range loop")
	for v, err := range sy.Seq(ctx, l, count(5)) {
		if err != nil { // the producer's error comes last, if any
			return err
		}
		fmt.Println("  value", v)
		if v == 3 {
			break // stops the producer; its cleanup runs before the loop ends
		}
	}

	fmt.Println("5. the same producer as a stream, in a select")
	s := sy.Start(ctx, l, count(3))
	defer s.Stop()
	idle := time.NewTimer(time.Second)
	defer idle.Stop()
receive:
	for {
		select {
		case v, ok := <-s.C():
			if !ok {
				break receive // closed: the producer has returned
			}
			fmt.Println("  value", v)
		case <-idle.C:
			fmt.Println("  no value for a second, giving up")
			break receive
		}
	}
	if err := s.Stop(); err != nil { // after C is closed: the producer's error
		return err
	}

	fmt.Println("6. cancellation")
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = Fetch.Call(tctx, 3) // returns once fetch has seen the deadline
	fmt.Println("  with a timeout:", err, errors.Is(err, context.DeadlineExceeded))
	f = Fetch.Go(ctx, 4)
	f.Cancel() // cancels the task's context; the future settles when fetch returns
	_, err = f.Result()
	fmt.Println("  cancelled future:", err)

	fmt.Println("7. a context manager")
	fmt.Println("  transfer(50):", transfer(ctx, 50))
	fmt.Println("  transfer(500):", transfer(ctx, 500))
	return nil
}
