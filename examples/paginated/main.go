// Command paginated exposes a paginated HTTP API as one producer, written
// once, and consumes it both ways: with a range loop, as a script would,
// and as a stream in a select with a timeout, as a service would.
//
//	go run ./examples/paginated
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	sy "github.com/synchronicity-go/synchronicity"
)

// Item is one record of the API.
type Item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// page is one response: some items, and the token of the next page ("" on
// the last one).
type page struct {
	Items []Item `json:"items"`
	Next  string `json:"next"`
}

// Client is an API client whose listing is written once, as a producer, and
// exported both as a sequence and as a stream.
type Client struct {
	base  string
	http  *http.Client
	loop  *sy.Loop
	pages atomic.Int64 // pages fetched, to show what break saves
}

// NewClient returns a client of the API at base whose listings run on l.
func NewClient(l *sy.Loop, base string) *Client {
	return &Client{base: base, http: &http.Client{}, loop: l}
}

// Items returns the items of a collection for a range loop. Pages are
// fetched as the loop asks for more: breaking out fetches no further page.
func (c *Client) Items(ctx context.Context, collection string) iter.Seq2[Item, error] {
	return sy.Seq(ctx, c.loop, c.list(collection))
}

// ItemStream returns the items of a collection as a stream for select; it
// fetches ahead of the receiver. Stop it when done.
func (c *Client) ItemStream(ctx context.Context, collection string) *sy.Stream[Item] {
	return sy.Start(ctx, c.loop, c.list(collection))
}

// list is the producer of a collection's items: follow the next-page
// tokens, yield each item, stop when yield says so. ctx cancels the request
// in flight.
func (c *Client) list(collection string) sy.Producer[Item] {
	return func(ctx context.Context, yield func(Item) bool) error {
		token := ""
		for {
			p, err := c.fetch(ctx, collection, token)
			if err != nil {
				return err
			}
			for _, it := range p.Items {
				if !yield(it) {
					return nil
				}
			}
			if p.Next == "" {
				return nil
			}
			token = p.Next
		}
	}
}

func (c *Client) fetch(ctx context.Context, collection, token string) (*page, error) {
	u := c.base + "/collections/" + url.PathEscape(collection) + "/items?page_token=" + url.QueryEscape(token)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	c.pages.Add(1)
	var p page
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return &p, nil
}

// server serves 23 items per collection, 5 to a page. In the "archive"
// collection every page after the first takes 10 seconds, or until the
// client gives up.
func server() *httptest.Server {
	const total, size = 23, 5
	mux := http.NewServeMux()
	mux.HandleFunc("GET /collections/{name}/items", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		start, _ := strconv.Atoi(r.URL.Query().Get("page_token"))
		if name == "archive" && start > 0 {
			select {
			case <-time.After(10 * time.Second):
			case <-r.Context().Done():
				return
			}
		}
		var p page
		for id := start; id < min(start+size, total); id++ {
			p.Items = append(p.Items, Item{ID: id, Name: fmt.Sprintf("%s-%02d", name, id)})
		}
		if start+size < total {
			p.Next = strconv.Itoa(start + size)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(p)
	})
	return httptest.NewServer(mux)
}

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	srv := server()
	defer srv.Close()
	l := sy.New(sy.Name("paginated"), sy.CancelOnInterrupt())
	defer l.Close()
	c := NewClient(l, srv.URL)

	fmt.Println("1. every book, script style")
	n := 0
	for it, err := range c.Items(ctx, "books") {
		if err != nil { // a failed page ends the loop with its error
			return err
		}
		if n < 3 {
			fmt.Println("  ", it.Name)
		}
		n++
	}
	fmt.Printf("   ... %d items from %d pages\n", n, c.pages.Swap(0))

	fmt.Println("2. break after the 7th")
	for it, err := range c.Items(ctx, "books") {
		if err != nil {
			return err
		}
		if it.ID == 6 {
			break // no further page is fetched
		}
	}
	fmt.Printf("   pages fetched: %d of 5\n", c.pages.Swap(0))

	fmt.Println("3. a stream in a select, giving up after 300ms without an item")
	s := c.ItemStream(ctx, "archive")
	defer s.Stop()
	got := 0
	timeout := time.NewTimer(300 * time.Millisecond)
	defer timeout.Stop()
receive:
	for {
		select {
		case _, ok := <-s.C():
			if !ok {
				break receive
			}
			got++
			timeout.Reset(300 * time.Millisecond)
		case <-timeout.C:
			fmt.Printf("   %d items, then nothing for 300ms: stopping\n", got)
			break receive
		}
	}
	// Stop cancels the request in flight and waits for the producer; the
	// cancellation it caused itself is not an error.
	if err := s.Stop(); err != nil {
		return err
	}
	fmt.Printf("   stopped cleanly, the request in flight cancelled; pages fetched: %d\n", c.pages.Load())
	return nil
}
