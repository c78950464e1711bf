// Command observe shows what a loop lets you see of its work: a serial
// loop that one slow query holds (reported, with where it was started), a
// fan-out whose panic says which work it came from, a Close that waits for
// work that ignores its context (reported, with the work's name and age),
// Stats published through expvar and read back over HTTP, and an execution
// trace of it all. It ends by itself in about a second:
//
//	go run ./examples/observe
//	go tool trace "$TMPDIR/observe.trace"
package main

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/trace"
	"sync"
	"time"

	sy "github.com/synchronicity-go/synchronicity"
)

func main() {
	tracePath := flag.String("trace", filepath.Join(os.TempDir(), "observe.trace"), "where to write the execution trace")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *tracePath); err != nil {
		log.Fatal(err)
	}
}

// run does it all, writing reports and results to out and the trace to
// tracePath.
func run(ctx context.Context, out io.Writer, tracePath string) (err error) {
	out = &syncWriter{w: out} // the loops' reports come from their goroutines
	f, err := os.Create(tracePath)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		return err
	}
	defer trace.Stop()

	// Every report of every loop goes to one logger.
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // so that the output reads the same each run
			}
			return a
		},
	}))
	db := sy.New(sy.Serial(), sy.Name("db"), sy.Logger(logger), sy.ReportSlow(100*time.Millisecond), sy.RecordSites())
	defer db.Close()
	api := sy.New(sy.Name("api"), sy.Limit(4), sy.Logger(logger), sy.RecordSites())
	defer api.Close()

	stop, addr, err := serveStats(map[string]*sy.Loop{"db": db, "api": api})
	if err != nil {
		return err
	}
	defer stop()

	fmt.Fprintln(out, "== a slow query holds the serial loop; 8 callers wait behind it")
	slowQueries(ctx, db)

	fmt.Fprintln(out, "== a fan-out in which one call panics")
	fanOut(ctx, out, api)

	fmt.Fprintln(out, "== a Close that waits for work ignoring its context")
	stuckClose(ctx, logger)

	fmt.Fprintln(out, "== Stats, read back from", "http://"+addr+"/debug/vars")
	if err := readStats(out, addr); err != nil {
		return err
	}
	fmt.Fprintln(out, "== trace written; see it with: go tool trace", tracePath)
	return nil
}

// slowQueries makes a vacuum hold the database loop for 150ms while other
// queries queue behind it.
func slowQueries(ctx context.Context, db *sy.Loop) {
	var wg sync.WaitGroup
	vacuum := sy.Go(sy.WithName(ctx, "vacuum"), db, func(context.Context) (int, error) {
		time.Sleep(150 * time.Millisecond) // a blocking call into a C library, say
		return 0, nil
	})
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sy.Call(sy.WithName(ctx, "select"), db, func(context.Context) (int, error) { return i, nil })
		}()
	}
	wg.Wait()
	vacuum.Result()
}

// fanOut fetches users, one of which panics; the panic says which work it
// came from and where that work was started.
func fanOut(ctx context.Context, out io.Writer, api *sy.Loop) {
	defer func() {
		var pe *sy.PanicError
		if r := recover(); r != nil && errors.As(r.(error), &pe) {
			fmt.Fprintf(out, "recovered: %v\n  in: %s\n  started at: %s", pe.Value, pe.Work, firstFrame(pe.Started))
		}
	}()
	users := make([]*sy.Future[string], 12)
	for i := range users {
		users[i] = sy.Go(sy.WithName(ctx, "fetch user"), api, func(ctx context.Context) (string, error) {
			time.Sleep(time.Duration(5+i%3*5) * time.Millisecond)
			if i == 7 {
				panic("user-7: corrupt record")
			}
			return fmt.Sprint("user-", i), nil
		})
	}
	// Settle waits for all of them, then re-panics with the panic.
	names, errs := sy.Settle(ctx, users...)
	fmt.Fprintln(out, names, errs)
}

// firstFrame is the first two lines of a stack: the function and its file.
func firstFrame(stack string) string {
	for i, n := 0, 0; i < len(stack); i++ {
		if stack[i] == '\n' {
			if n++; n == 2 {
				return stack[:i+1]
			}
		}
	}
	return stack
}

// stuckClose closes a loop whose task ignores its context for 300ms: after
// 100ms (ReportSlow), Close reports what it waits for.
func stuckClose(ctx context.Context, logger *slog.Logger) {
	l := sy.New(sy.Name("jobs"), sy.Logger(logger), sy.ReportSlow(100*time.Millisecond))
	started := make(chan struct{})
	resize := sy.Go(sy.WithName(ctx, "resize images"), l, func(context.Context) (int, error) {
		close(started)
		time.Sleep(300 * time.Millisecond) // does not look at its context
		return 0, nil
	})
	<-started
	l.Close()
	resize.Result() // settled before Close returned
}

// serveStats publishes the loops' Stats through expvar on a local port,
// and returns the address and how to stop serving.
func serveStats(loops map[string]*sy.Loop) (stop func(), addr string, err error) {
	published.Lock()
	published.loops = loops
	published.Unlock()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: http.DefaultServeMux} // expvar serves /debug/vars there
	go srv.Serve(ln)
	return func() { srv.Close() }, ln.Addr().String(), nil
}

// published holds the loops whose Stats expvar publishes as
// "synchronicity" (a variable can be published once per process).
var published struct {
	sync.Mutex
	loops map[string]*sy.Loop
}

func init() {
	expvar.Publish("synchronicity", expvar.Func(func() any {
		published.Lock()
		defer published.Unlock()
		stats := map[string]sy.Stats{}
		for name, l := range published.loops {
			stats[name] = l.Stats()
		}
		return stats
	}))
}

// syncWriter is a writer for many goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// readStats reads the published Stats back, as a dashboard would.
func readStats(out io.Writer, addr string) error {
	resp, err := http.Get("http://" + addr + "/debug/vars")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var vars struct {
		Synchronicity map[string]sy.Stats `json:"synchronicity"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&vars); err != nil {
		return err
	}
	for _, name := range []string{"db", "api"} {
		s := vars.Synchronicity[name]
		fmt.Fprintf(out, "%s: started %d, succeeded %d, failed %d, cancelled %d, panicked %d, in flight %d\n",
			name, s.Started, s.Succeeded, s.Failed, s.Canceled, s.Panicked, s.InFlight)
	}
	return nil
}
