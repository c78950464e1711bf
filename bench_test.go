package synchronicity_test

import (
	"context"
	"io"
	"iter"
	"runtime"
	"runtime/trace"
	"slices"
	"sync"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
)

const benchItems = 1 << 16

// ints is the producer every range benchmark consumes. It is a variable so
// that, as in real use, the compiler cannot inline it into the loop.
var ints sy.Producer[int] = func(ctx context.Context, yield func(int) bool) error {
	for i := range benchItems {
		if !yield(i) {
			return nil
		}
	}
	return nil
}

var sink int

func perItem(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchItems, "ns/item")
}

// sumSeq2 ranges over seq and checks it saw every item.
func sumSeq2(b *testing.B, seq iter.Seq2[int, error]) {
	s := 0
	for v, err := range seq {
		if err != nil {
			b.Fatal(err)
		}
		s += v
	}
	if s != benchItems*(benchItems-1)/2 {
		b.Fatalf("sum %d", s)
	}
	sink = s
}

func BenchmarkRange(b *testing.B) {
	ctx := context.Background()
	conc, serial := sy.New(), sy.New(sy.Serial())
	defer conc.Close()
	defer serial.Close()

	// Hand-written baselines.
	b.Run("inline", func(b *testing.B) {
		for range b.N {
			s := 0
			for v := range func(yield func(int) bool) { _ = ints(ctx, yield) } {
				s += v
			}
			sink = s
		}
		perItem(b)
	})
	b.Run("pull", func(b *testing.B) {
		for range b.N {
			next, stop := iter.Pull(func(yield func(int) bool) { _ = ints(ctx, yield) })
			s := 0
			for v, ok := next(); ok; v, ok = next() {
				s += v
			}
			stop()
			sink = s
		}
		perItem(b)
	})
	b.Run("chan64", func(b *testing.B) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for range b.N {
			s := 0
			for v := range handwrittenStream(ctx, 64) {
				s += v
			}
			sink = s
		}
		perItem(b)
	})

	// The library.
	for _, c := range []struct {
		name string
		loop *sy.Loop
		opts []sy.SeqOption
	}{
		{"lockstep", conc, nil},
		{"prefetch", conc, []sy.SeqOption{sy.Prefetch(256)}},
		{"serial-lockstep", serial, nil},
		{"serial-prefetch", serial, []sy.SeqOption{sy.Prefetch(256)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			seq := sy.Seq(ctx, c.loop, ints, c.opts...)
			for range b.N {
				sumSeq2(b, seq)
			}
			perItem(b)
		})
	}
}

// handwrittenStream is what a stream replaces: a goroutine feeding a
// buffered channel, stopping when ctx ends. Callers pass a context that can
// be cancelled, as a stream's can.
func handwrittenStream(ctx context.Context, size int) <-chan int {
	ch := make(chan int, size)
	go func() {
		defer close(ch)
		_ = ints(ctx, func(v int) bool {
			select {
			case ch <- v:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	return ch
}

func BenchmarkStream(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := sy.New()
	defer l.Close()
	b.Run("handwritten", func(b *testing.B) {
		for range b.N {
			s := 0
			for v := range handwrittenStream(ctx, 64) {
				s += v
			}
			sink = s
		}
		perItem(b)
	})
	b.Run("library", func(b *testing.B) {
		for range b.N {
			st := sy.Start(ctx, l, ints)
			s := 0
			for v := range st.C() {
				s += v
			}
			if err := st.Stop(); err != nil {
				b.Fatal(err)
			}
			sink = s
		}
		perItem(b)
	})
}

// work is the function the call benchmarks run: trivial, so what is measured
// is the cost of getting it run.
var work = func(ctx context.Context) (int, error) { return 1, nil }

func BenchmarkCall(b *testing.B) {
	// The hand-written forms below cannot be cancelled, so the library's
	// are compared with a context that never ends; the -cancellable forms
	// show the price of a caller's context that can end, as a request's can.
	ctx := context.Background()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.Run("direct", func(b *testing.B) {
		for range b.N {
			v, _ := work(ctx)
			sink += v
		}
	})
	conc, serial, locked := sy.New(), sy.New(sy.Serial()), sy.New(sy.LockOSThread())
	defer conc.Close()
	defer serial.Close()
	defer locked.Close()
	for _, c := range []struct {
		name string
		ctx  context.Context
		loop *sy.Loop
	}{
		{"concurrent", ctx, conc},
		{"concurrent-cancellable", cctx, conc},
		{"serial", ctx, serial},
		{"serial-cancellable", cctx, serial},
		{"locked", ctx, locked},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				v, _ := sy.Call(c.ctx, c.loop, work)
				sink += v
			}
		})
	}
	// The other forms on the serial and locked loops, beside their Call:
	// each op is one use of the form, of as many hops as its comment says.
	two := func(ctx context.Context, yield func(int) bool) error {
		_ = yield(1) && yield(2)
		return nil
	}
	four := []int{1, 2, 3, 4}
	double := func(_ context.Context, v int) (int, error) { return 2 * v, nil }
	forms := []struct {
		name string
		use  func(l *sy.Loop, cm sy.ContextManager[int])
	}{
		// A future waited for at once: one hop, as a Call.
		{"go", func(l *sy.Loop, _ sy.ContextManager[int]) {
			v, _ := sy.Go(ctx, l, work).Result()
			sink += v
		}},
		// A range over a producer of two values: setup, two values and the
		// end, in lockstep; three hops.
		{"seq2", func(l *sy.Loop, _ sy.ContextManager[int]) {
			for v := range sy.Seq(ctx, l, two) {
				sink += v
			}
		}},
		// A Map of four inputs: its calls run on the loop one by one.
		{"map4", func(l *sy.Loop, _ sy.ContextManager[int]) {
			for v := range sy.Map(ctx, l, slices.Values(four), double) {
				sink += v
			}
		}},
		// A manager's Enter and exit, run on the loop: two hops.
		{"enter", func(_ *sy.Loop, cm sy.ContextManager[int]) { _ = useManager(ctx, cm) }},
	}
	for _, f := range forms {
		for _, l := range []struct {
			name string
			loop *sy.Loop
		}{{"serial", serial}, {"locked", locked}} {
			b.Run(l.name+"-"+f.name, func(b *testing.B) {
				b.ReportAllocs()
				cm := sy.OnLoop[int](l.loop, &benchCM{})
				for range b.N {
					f.use(l.loop, cm)
				}
			})
		}
	}
	// The hand-written serial call: a request and a reply channel to one
	// dedicated goroutine. The reply channel is reused, its cheapest form.
	b.Run("roundtrip", func(b *testing.B) {
		b.ReportAllocs()
		reqs, reply := make(chan func(context.Context) (int, error)), make(chan int)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for fn := range reqs {
				v, _ := fn(ctx)
				reply <- v
			}
		}()
		defer func() { close(reqs); <-done }()
		for range b.N {
			reqs <- work
			sink += <-reply
		}
	})
	// The same round trip with what Call promises besides: fn gets a
	// context of its own, done once the call returns, and a panic in fn
	// comes back to the caller. What the library adds beyond this is the
	// accounting that Stats, Close's report and the loop's count need.
	b.Run("roundtrip-guarded", func(b *testing.B) {
		b.ReportAllocs()
		type request struct {
			ctx context.Context
			fn  func(context.Context) (int, error)
		}
		type result struct {
			v   int
			err error
			p   any
		}
		reqs, reply := make(chan request), make(chan result)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for r := range reqs {
				var res result
				func() {
					defer func() { res.p = recover() }()
					res.v, res.err = r.fn(r.ctx)
				}()
				reply <- res
			}
		}()
		defer func() { close(reqs); <-done }()
		for range b.N {
			cctx, cancel := context.WithCancel(ctx)
			reqs <- request{cctx, work}
			res := <-reply
			cancel()
			if res.p != nil {
				panic(res.p)
			}
			sink += res.v
		}
	})
}

// BenchmarkCallShared has several goroutines call one serial or locked
// loop at once, as the goroutines of a program share a resource that is
// not safe for concurrent use, or bound to a thread: an op is one call.
func BenchmarkCallShared(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		opt     sy.Option
		callers int
	}{
		{"serial-g4", sy.Serial(), 4},
		{"locked-g4", sy.LockOSThread(), 4},
		{"locked-g16", sy.LockOSThread(), 16},
	} {
		b.Run(c.name, func(b *testing.B) {
			l := sy.New(c.opt)
			defer l.Close()
			n := 0 // the resource: touched on the loop only
			var wg sync.WaitGroup
			for range c.callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range b.N / c.callers {
						_, _ = sy.Call(ctx, l, func(context.Context) (int, error) { n++; return n, nil })
					}
				}()
			}
			wg.Wait()
			if n != b.N/c.callers*c.callers {
				b.Fatalf("%d calls applied, want %d", n, b.N/c.callers*c.callers)
			}
		})
	}
	// The hand-written form: a goroutine locked to its thread serving a
	// channel of requests, each with its reply channel.
	b.Run("handwritten-locked-g4", func(b *testing.B) {
		type req struct {
			fn    func() int
			reply chan int
		}
		reqs, done := make(chan req), make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread()
			for r := range reqs {
				r.reply <- r.fn()
			}
		}()
		defer func() { close(reqs); <-done }()
		n := 0
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reply := make(chan int)
				for range b.N / 4 {
					reqs <- req{func() int { n++; return n }, reply}
					<-reply
				}
			}()
		}
		wg.Wait()
	})
}

const fanoutTasks = 10_000

func BenchmarkFanout(b *testing.B) {
	ctx := context.Background()
	perTask := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fanoutTasks, "ns/task")
	}
	// The hand-written fan-out: a goroutine per task writing its result into
	// a slice, and a WaitGroup.
	b.Run("waitgroup", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			out := make([]int, fanoutTasks)
			var wg sync.WaitGroup
			for i := range fanoutTasks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out[i] = i
				}()
			}
			wg.Wait()
			sink += out[fanoutTasks-1]
		}
		perTask(b)
	})
	l := sy.New()
	defer l.Close()
	b.Run("futures", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			fs := make([]*sy.Future[int], fanoutTasks)
			for i := range fs {
				fs[i] = sy.Go(ctx, l, func(context.Context) (int, error) { return i, nil })
			}
			out, err := sy.All(ctx, fs...)
			if err != nil {
				b.Fatal(err)
			}
			sink += out[fanoutTasks-1]
		}
		perTask(b)
	})
}

// BenchmarkBatchLoop measures a loop made for one batch of futures, the
// scope an errgroup.Group with SetLimit gives: New(Limit(n)), then Close
// once the batch is in.
func BenchmarkBatchLoop(b *testing.B) {
	ctx := context.Background()
	b.Run("new+close", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			l := sy.New(sy.Limit(8))
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new+go+all+close", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			l := sy.New(sy.Limit(8))
			f := sy.Go(ctx, l, func(context.Context) (int, error) { return 1, nil })
			out, err := sy.All(ctx, f)
			if err != nil {
				b.Fatal(err)
			}
			sink += out[0]
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkObserved is what observing a loop costs a Call: nothing switched
// on, a name given with WithName, call sites recorded, and an execution
// trace being recorded (to io.Discard).
func BenchmarkObserved(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		ctx   context.Context
		opts  []sy.Option
		trace bool
	}{
		{"off", ctx, nil, false},
		{"named", sy.WithName(ctx, "work"), nil, false},
		{"sites", ctx, []sy.Option{sy.RecordSites()}, false},
		{"traced", ctx, nil, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.trace {
				if err := trace.Start(io.Discard); err != nil {
					b.Skip("a trace is being recorded already")
				}
				defer trace.Stop()
			}
			l := sy.New(c.opts...)
			defer l.Close()
			b.ReportAllocs()
			for range b.N {
				v, _ := sy.Call(c.ctx, l, work)
				sink += v
			}
		})
	}
}
