// Command fanout fetches many items from a slow server, a bounded number at
// a time, with a live progress bar: first with sy.Map, which keeps the
// results in order, then with one future per item taken as they complete.
// Ctrl-C cancels the fetches in flight and exits cleanly.
//
//	cd examples/fanout && go run . -n 200 -workers 16
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	sy "github.com/synchronicity-go/synchronicity"
)

func main() {
	n := flag.Int("n", 200, "how many items to fetch")
	workers := flag.Int("workers", 16, "how many fetches at once")
	delay := flag.Duration("delay", 40*time.Millisecond, "the server's longest delay per item")
	flag.Parse()
	if *n < 0 || *workers < 1 || *delay < 0 {
		fmt.Fprintln(os.Stderr, "fanout: -n must be at least 0, -workers at least 1, -delay not negative")
		os.Exit(2)
	}
	err := run(context.Background(), *n, *workers, *delay)
	switch {
	case errors.Is(err, sy.ErrInterrupted):
		fmt.Fprintln(os.Stderr, "\ninterrupted; every fetch in flight was cancelled")
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n, workers int, delay time.Duration) error {
	srv := newServer(delay)
	defer srv.Close()
	c := NewClient(srv.URL, workers)
	defer c.Close()

	// Limit bounds the loop's tasks: the futures of the second phase.
	// CancelOnInterrupt turns Ctrl-C into cancellation of all of them.
	l := sy.New(sy.Name("fanout"), sy.Limit(workers), sy.CancelOnInterrupt())
	defer l.Close()

	start := time.Now()
	items, err := fetchMapped(ctx, l, c, n, workers, os.Stdout)
	if err != nil {
		return err
	}
	fmt.Printf("%d items in order in %v, %d at a time\n", len(items), since(start), workers)

	start = time.Now()
	items, err = fetchAsCompleted(ctx, l, c, n, os.Stdout)
	if err != nil {
		return err
	}
	first := "none"
	if len(items) > 0 {
		first = items[0].Name
	}
	fmt.Printf("%d items as completed in %v; the first to arrive was %s\n", len(items), since(start), first)
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }
