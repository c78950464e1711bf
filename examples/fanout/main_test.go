package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	sy "github.com/synchronicity-go/synchronicity"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const items, workers = 120, 8

// setup starts a server with the given longest delay, a client and a loop,
// all closed when t ends.
func setup(t *testing.T, delay time.Duration) (*Client, *sy.Loop) {
	t.Helper()
	srv := newServer(delay)
	c := NewClient(srv.URL, workers)
	l := sy.New(sy.Limit(workers))
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
		c.Close()
		srv.Close()
	})
	return c, l
}

func TestFetchMappedInOrder(t *testing.T) {
	c, l := setup(t, 5*time.Millisecond)
	got, err := fetchMapped(context.Background(), l, c, items, workers, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != items {
		t.Fatalf("got %d items, want %d", len(got), items)
	}
	for i, it := range got {
		if it.ID != i {
			t.Fatalf("item %d has id %d: out of order", i, it.ID)
		}
	}
}

func TestFetchAsCompletedAll(t *testing.T) {
	c, l := setup(t, 5*time.Millisecond)
	got, err := fetchAsCompleted(context.Background(), l, c, items, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]bool, items)
	for _, it := range got {
		if it.ID < 0 || it.ID >= items || seen[it.ID] {
			t.Fatalf("unexpected or repeated id %d", it.ID)
		}
		seen[it.ID] = true
	}
	if len(got) != items {
		t.Fatalf("got %d items, want %d", len(got), items)
	}
}

// A deadline stops both phases with its error, long before the last item,
// leaving nothing running (goleak checks at the end).
func TestCancel(t *testing.T) {
	for name, fetch := range map[string]func(ctx context.Context, l *sy.Loop, c *Client) ([]Item, error){
		"map": func(ctx context.Context, l *sy.Loop, c *Client) ([]Item, error) {
			return fetchMapped(ctx, l, c, items, workers, io.Discard)
		},
		"as completed": func(ctx context.Context, l *sy.Loop, c *Client) ([]Item, error) {
			return fetchAsCompleted(ctx, l, c, items, io.Discard)
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, l := setup(t, time.Second) // 120 items, 8 at a time: about 7s
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			got, err := fetch(ctx, l, c)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
			if len(got) >= items {
				t.Fatalf("got all %d items despite the deadline", len(got))
			}
		})
	}
}
