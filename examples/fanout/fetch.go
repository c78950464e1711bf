package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	sy "github.com/synchronicity-go/synchronicity"
)

// Item is what the server returns for one id.
type Item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// newServer serves GET /items/{id}, each after a random delay of up to
// maxDelay, as a slow backend would.
func newServer(maxDelay time.Duration) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(rand.N(maxDelay + 1)):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(Item{ID: id, Name: fmt.Sprintf("item-%03d", id)})
	})
	return httptest.NewServer(mux)
}

// Client fetches items from the server. Fetch is an ordinary blocking
// function of a context; the loop decides how many run at once.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client of the server at base that keeps up to conns
// connections open.
func NewClient(base string, conns int) *Client {
	return &Client{base: base, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}}
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Fetch gets one item. ctx cancels the request.
func (c *Client) Fetch(ctx context.Context, id int) (Item, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/items/"+strconv.Itoa(id), nil)
	if err != nil {
		return Item{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Item{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Item{}, fmt.Errorf("item %d: %s", id, resp.Status)
	}
	var it Item
	if err := json.NewDecoder(resp.Body).Decode(&it); err != nil {
		return Item{}, fmt.Errorf("item %d: %w", id, err)
	}
	return it, nil
}

// newBar returns a progress bar for n items that draws on w.
func newBar(w io.Writer, n int, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions(n,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("%-12s", what)),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(50*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// ids yields 0, 1, ..., n-1.
func ids(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for id := range n {
			if !yield(id) {
				return
			}
		}
	}
}

// fetchMapped fetches items 0 to n-1 through sy.Map: at most workers at
// once, results in input order, input read no further ahead than workers.
// The first error ends the loop, and leaving the loop cancels the fetches
// still in flight and waits for them.
func fetchMapped(ctx context.Context, l *sy.Loop, c *Client, n, workers int, progress io.Writer) ([]Item, error) {
	bar := newBar(progress, n, "map")
	items := make([]Item, 0, n)
	for it, err := range sy.Map(ctx, l, ids(n), c.Fetch, sy.Prefetch(workers)) {
		if err != nil {
			return items, err
		}
		items = append(items, it)
		bar.Add(1)
	}
	return items, ctx.Err() // AsCompleted stops yielding when ctx ends
}

// fetchAsCompleted starts one future per item and takes them as they
// finish. The loop's Limit bounds how many fetch at once: the other futures
// wait for a turn without blocking the caller. Returning early from the
// range over AsCompleted, or ctx ending, cancels the futures still pending
// and waits for them.
func fetchAsCompleted(ctx context.Context, l *sy.Loop, c *Client, n int, progress io.Writer) ([]Item, error) {
	bar := newBar(progress, n, "as completed")
	fs := make([]*sy.Future[Item], n)
	for id := range n {
		fs[id] = sy.Go(ctx, l, func(ctx context.Context) (Item, error) { return c.Fetch(ctx, id) })
	}
	items := make([]Item, 0, n)
	for _, f := range sy.AsCompleted(ctx, fs...) {
		it, err := f.Result() // settled already: does not block
		if err != nil {
			return items, err
		}
		items = append(items, it)
		bar.Add(1)
	}
	return items, ctx.Err() // AsCompleted stops yielding when ctx ends
}
