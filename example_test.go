package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// Limit bounds how many of the loop's calls run at once; the rest wait
// for a slot, or for their context to end.
func ExampleLimit() {
	l := sy.New(sy.Limit(2))
	defer l.Close()
	var running, most atomic.Int32
	fs := make([]*sy.Future[int], 10)
	for i := range fs {
		fs[i] = sy.Go(context.Background(), l, func(ctx context.Context) (int, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			return i, nil
		})
	}
	vs, err := sy.All(context.Background(), fs...)
	fmt.Println(vs, err)
	fmt.Println("never more than 2 at once:", most.Load() <= 2)
	// Output:
	// [0 1 2 3 4 5 6 7 8 9] <nil>
	// never more than 2 at once: true
}

// CancelOnInterrupt turns the first Ctrl-C into the cancellation of the
// loop's work, so deferred cleanup runs and blocking calls return; a second
// Ctrl-C ends the process as usual. (Not run as a test: the interrupt would
// reach every loop in the process.)
func ExampleCancelOnInterrupt() {
	l := sy.New(sy.CancelOnInterrupt())
	defer l.Close()
	_, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
		<-ctx.Done() // long work that watches ctx
		return 0, context.Cause(ctx)
	})
	if errors.Is(err, sy.ErrInterrupted) {
		fmt.Println("interrupted; cleanup has run")
	}
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

func ExampleCall_defaultLoop() {
	// A nil loop means the default loop, which scripts need not close.
	v, err := sy.Call(context.Background(), nil, func(ctx context.Context) (string, error) {
		return fetch(ctx, 3)
	})
	fmt.Println(v, err, (*sy.Loop)(nil))
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
	// Nobody calls f.Result: the handler has the panic once f is garbage
	// collected, or at the latest when Close returns (Close also returns
	// the panics it reports itself).
	l.Close()
	// Output:
	// unobserved: oops
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

// The first future AsCompleted yields is a race's winner; leaving the loop
// cancels the rest and waits for them.
func ExampleAsCompleted_race() {
	l := sy.New()
	defer l.Close()
	quick := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) { return "quick", nil })
	never := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	})
	for _, f := range sy.AsCompleted(context.Background(), quick, never) {
		fmt.Println(f.Result())
		break
	}
	// Output: quick <nil>
}

// AsCompleted yields futures in the order they settle, not the order they
// were started in.
func ExampleAsCompleted() {
	l := sy.New()
	defer l.Close()
	// The slow task waits until the loop body has seen the quick one, so the
	// order below is certain; in real use it is whatever the tasks take.
	seenQuick := make(chan struct{})
	slow := sy.Go(context.Background(), l, func(ctx context.Context) (string, error) {
		select {
		case <-seenQuick:
			return "slow", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	quick := sy.Go(context.Background(), l, func(context.Context) (string, error) { return "quick", nil })
	for _, f := range sy.AsCompleted(context.Background(), slow, quick) {
		v, _ := f.Result() // settled already
		fmt.Println(v)
		if v == "quick" {
			close(seenQuick)
		}
	}
	// Output:
	// quick
	// slow
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
	for v, err := range sy.Seq(context.Background(), nil, countdown) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
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
				fmt.Println("error:", s.Stop())
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

// session is a context manager written as a type: each value is one use.
type session struct{ user string }

func (s *session) Enter(ctx context.Context) (string, error) {
	fmt.Println("log in", s.user)
	return "token-" + s.user, nil
}

func (s *session) Exit(ctx context.Context, err error) error {
	fmt.Println("log out", s.user, "after", err)
	return err
}

func ExampleEnter() {
	work := func(ctx context.Context) (err error) {
		token, exit, err := sy.Enter(ctx, &session{user: "ada"})
		if err != nil {
			return err
		}
		defer exit(&err)
		fmt.Println("working with", token)
		return errors.New("quota exceeded")
	}
	fmt.Println("work:", work(context.Background()))
	// Output:
	// log in ada
	// working with token-ada
	// log out ada after quota exceeded
	// work: quota exceeded
}

// DB and Tx stand in for a database client.
type DB struct{ next int }

type Tx struct{ id int }

func (db *DB) Begin(ctx context.Context) (*Tx, error) {
	db.next++
	fmt.Println("begin", db.next)
	return &Tx{id: db.next}, nil
}

func (tx *Tx) Exec(stmt string) error {
	if strings.HasPrefix(stmt, "DROP") {
		return errors.New("permission denied")
	}
	fmt.Println("exec", tx.id, stmt)
	return nil
}

func (tx *Tx) Commit() error {
	fmt.Println("commit", tx.id)
	return nil
}

func (tx *Tx) Rollback() error {
	fmt.Println("rollback", tx.id)
	return nil
}

// Transaction begins a transaction on Enter, and on Exit commits it if the
// body succeeded or rolls it back if it failed or panicked.
func Transaction(db *DB) sy.ContextManager[*Tx] {
	return sy.Scoped(func(ctx context.Context, yield func(*Tx) error) error {
		tx, err := db.Begin(ctx)
		if err != nil {
			return err
		}
		if err := yield(tx); err != nil { // the body's error, or its panic
			return errors.Join(err, tx.Rollback())
		}
		return tx.Commit()
	})
}

// A transaction manager used with defer exit(&err): commit on success,
// rollback on an error or a panic.
func ExampleEnter_transaction() {
	ctx := context.Background()
	db := &DB{}
	run := func(stmts ...string) (err error) {
		tx, exit, err := sy.Enter(ctx, Transaction(db))
		if err != nil {
			return err
		}
		defer exit(&err)
		for _, s := range stmts {
			if s == "" {
				panic("empty statement")
			}
			if err := tx.Exec(s); err != nil {
				return err
			}
		}
		return nil
	}

	fmt.Println("result:", run("INSERT a", "INSERT b"))
	fmt.Println("result:", run("INSERT c", "DROP TABLE t"))
	func() {
		defer func() { fmt.Println("recovered:", recover()) }()
		run("INSERT d", "")
	}()
	// Output:
	// begin 1
	// exec 1 INSERT a
	// exec 1 INSERT b
	// commit 1
	// result: <nil>
	// begin 2
	// exec 2 INSERT c
	// rollback 2
	// result: permission denied
	// begin 3
	// exec 3 INSERT d
	// rollback 3
	// recovered: empty statement
}

func ExampleDo() {
	db := &DB{}
	err := sy.Do(context.Background(), Transaction(db), func(tx *Tx) error {
		return tx.Exec("UPDATE accounts SET balance = 0")
	})
	fmt.Println("result:", err)
	// Output:
	// begin 1
	// exec 1 UPDATE accounts SET balance = 0
	// commit 1
	// result: <nil>
}

func ExampleScoped() {
	// A temporary setting: set up, yield, tear down, like Python's
	// @contextmanager.
	level := "info"
	withLevel := func(l string) sy.ContextManager[string] {
		return sy.Scoped(func(ctx context.Context, yield func(string) error) error {
			old := level
			level = l
			defer func() { level = old }()
			return yield(old)
		})
	}
	err := sy.Do(context.Background(), withLevel("debug"), func(old string) error {
		fmt.Println("level", level, "was", old)
		return nil
	})
	fmt.Println("level", level, err)
	// Output:
	// level debug was info
	// level info <nil>
}

// device stands in for a resource that must be opened, used and closed on
// one OS thread, such as a handle of a thread-affine C library.
type device struct{ busy bool }

func (d *device) Enter(ctx context.Context) (*device, error) {
	d.busy = true
	fmt.Println("device opened on the loop's thread")
	return d, nil
}

func (d *device) Exit(ctx context.Context, err error) error {
	d.busy = false
	fmt.Println("device closed on the loop's thread")
	return err
}

func ExampleOnLoop() {
	l := sy.New(sy.LockOSThread())
	defer l.Close()
	ctx := context.Background()
	err := sy.Do(ctx, sy.OnLoop[*device](l, &device{}), func(d *device) error {
		// The body runs here; calls to the device go through the loop.
		busy, err := sy.Call(ctx, l, func(context.Context) (bool, error) { return d.busy, nil })
		fmt.Println("device busy:", busy)
		return err
	})
	fmt.Println("result:", err)
	// Output:
	// device opened on the loop's thread
	// device busy: true
	// device closed on the loop's thread
	// result: <nil>
}

func ExampleExitStack() {
	ctx := context.Background()
	open := func(users ...string) (err error) {
		var stack sy.ExitStack
		defer stack.Unwind(ctx, &err) // exits what was entered, last first
		for _, u := range users {
			if u == "" {
				return errors.New("no user name")
			}
			token, err := sy.Push(ctx, &stack, &session{user: u})
			if err != nil {
				return err
			}
			fmt.Println("have", token)
		}
		return nil
	}
	fmt.Println("result:", open("ada", "bob", ""))
	// Output:
	// log in ada
	// have token-ada
	// log in bob
	// have token-bob
	// log out bob after no user name
	// log out ada after no user name
	// result: no user name
}

func ExamplePush() {
	ctx := context.Background()
	var stack sy.ExitStack
	err := func() (err error) {
		defer stack.Unwind(ctx, &err)
		a, err := sy.Push(ctx, &stack, &session{user: "ada"})
		if err != nil {
			return err
		}
		b, err := sy.Push(ctx, &stack, &session{user: "bob"})
		if err != nil {
			return err
		}
		fmt.Println("using", a, "and", b)
		return nil
	}()
	fmt.Println("result:", err)
	// Output:
	// log in ada
	// log in bob
	// using token-ada and token-bob
	// log out bob after <nil>
	// log out ada after <nil>
	// result: <nil>
}

func ExampleExitStack_Defer() {
	ctx := context.Background()
	var stack sy.ExitStack
	for _, name := range []string{"a", "b", "c"} {
		stack.Defer(func(ctx context.Context, err error) error {
			fmt.Println("clean up", name)
			return err
		})
	}
	var err error
	stack.Unwind(ctx, &err) // as deferred calls do, last first
	fmt.Println("result:", err)
	// Output:
	// clean up c
	// clean up b
	// clean up a
	// result: <nil>
}

// tempFile stands in for an *os.File.
type tempFile struct{ name string }

func (f *tempFile) Close() error {
	fmt.Println("close", f.name)
	return nil
}

func ExampleClosing() {
	open := func(ctx context.Context) (*tempFile, error) {
		fmt.Println("open")
		return &tempFile{name: "report.csv"}, nil
	}
	err := sy.Do(context.Background(), sy.Closing(open), func(f *tempFile) error {
		fmt.Println("write", f.name)
		return nil
	})
	fmt.Println("result:", err)
	// Output:
	// open
	// write report.csv
	// close report.csv
	// result: <nil>
}

// Map calls a function for every value of a sequence, several at once, and
// yields the results in input order.
func ExampleMap() {
	words := slices.Values([]string{"map", "calls", "fn", "in", "parallel"})
	upper := func(ctx context.Context, w string) (string, error) { return strings.ToUpper(w), nil }
	for w, err := range sy.Map(context.Background(), nil, words, upper) {
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(w)
	}
	// Output:
	// MAP
	// CALLS
	// FN
	// IN
	// PARALLEL
}

// Unordered yields each result as soon as its call returns. Here each call
// waits for the one after it, so the results come out in reverse.
func ExampleUnordered() {
	done := make([]chan struct{}, 4)
	for i := range done {
		done[i] = make(chan struct{})
	}
	wait := func(ctx context.Context, i int) (int, error) {
		if i+1 < len(done) {
			<-done[i+1]
		}
		close(done[i])
		return i, nil
	}
	for i, err := range sy.Map(context.Background(), nil, slices.Values([]int{0, 1, 2, 3}), wait, sy.Prefetch(4), sy.Unordered()) {
		fmt.Println(i, err)
	}
	// Output:
	// 3 <nil>
	// 2 <nil>
	// 1 <nil>
	// 0 <nil>
}

// With StopOnError the first error cancels the calls in flight and is the
// last pair yielded; without it, each error is yielded in its item's place.
func ExampleStopOnError() {
	parse := func(ctx context.Context, s string) (int, error) {
		var n int
		_, err := fmt.Sscan(s, &n)
		return n, err
	}
	in := slices.Values([]string{"1", "x", "3"})
	for n, err := range sy.Map(context.Background(), nil, in, parse, sy.Prefetch(1)) {
		fmt.Println(n, err != nil)
	}
	fmt.Println("--")
	for n, err := range sy.Map(context.Background(), nil, in, parse, sy.Prefetch(1), sy.StopOnError()) {
		fmt.Println(n, err != nil)
	}
	// Output:
	// 1 false
	// 0 true
	// 3 false
	// --
	// 1 false
	// 0 true
}

// Map2 takes what a producer yields, so a producer feeds a Map; the
// producer's error ends the run after the calls already started.
func ExampleMap2() {
	words := func(ctx context.Context, yield func(string) bool) error {
		for _, w := range []string{"one", "two"} {
			if !yield(w) {
				return nil
			}
		}
		return errors.New("page 2: timeout")
	}
	upper := func(ctx context.Context, w string) (string, error) { return strings.ToUpper(w), nil }
	for v, err := range sy.Map2(context.Background(), nil, sy.Seq(context.Background(), nil, words), upper) {
		fmt.Println(v, err)
	}
	// Output:
	// ONE <nil>
	// TWO <nil>
	//  page 2: timeout
}

// For Map, Prefetch bounds how many calls run at once, and how far ahead of
// the loop body the input is read.
func ExamplePrefetch_map() {
	var mu sync.Mutex
	running, most := 0, 0
	square := func(ctx context.Context, v int) (int, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		defer func() {
			mu.Lock()
			running--
			mu.Unlock()
		}()
		return v * v, nil
	}
	sum := 0
	for v, err := range sy.Map(context.Background(), nil, slices.Values([]int{1, 2, 3, 4, 5, 6}), square, sy.Prefetch(2)) {
		if err != nil {
			fmt.Println(err)
			return
		}
		sum += v
	}
	fmt.Println("sum of squares:", sum)
	fmt.Println("at most two at once:", most <= 2)
	// Output:
	// sum of squares: 91
	// at most two at once: true
}

// Settle waits for every future, whatever the others do: one failure
// cancels nothing.
func ExampleSettle() {
	l := sy.New()
	defer l.Close()
	get := sy.Wrap(l, func(ctx context.Context, id int) (string, error) {
		if id == 2 {
			return "", errors.New("item 2: not found")
		}
		return fetch(ctx, id)
	})
	fs := []*sy.Future[string]{get.Go(context.Background(), 1), get.Go(context.Background(), 2), get.Go(context.Background(), 3)}
	vals, errs := sy.Settle(context.Background(), fs...)
	for i := range fs {
		fmt.Printf("%q %v\n", vals[i], errs[i])
	}
	fmt.Println("joined:", errors.Join(errs...))
	// Output:
	// "item-1" <nil>
	// "" item 2: not found
	// "item-3" <nil>
	// joined: item 2: not found
}

// MapIndexed tells which input each result belongs to, here with results
// in the order the calls finish.
func ExampleMapIndexed() {
	in := slices.Values([]string{"7", "xy", "123"})
	// Each call waits for its gate, and the loop body opens them last
	// first, so the calls finish in reverse.
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	parse := func(ctx context.Context, s string) (int, error) {
		<-gates[len(s)-1]
		var n int
		_, err := fmt.Sscan(s, &n)
		return n, err
	}
	close(gates[2])
	for r, err := range sy.MapIndexed(context.Background(), nil, in, parse, sy.Prefetch(3), sy.Unordered()) {
		fmt.Println(r.Index, r.Value, err != nil)
		if r.Index > 0 {
			close(gates[r.Index-1])
		}
	}
	// Output:
	// 2 123 false
	// 1 0 true
	// 0 7 false
}

// A loop is cheap enough to make for one batch of work and close after, as
// an errgroup.Group with SetLimit is: its Limit bounds the batch, and Close
// cancels whatever is left and waits for it.
func ExampleNew_batch() {
	resize := func(ctx context.Context, name string) (string, error) {
		return name + " resized", nil
	}
	batch := func(ctx context.Context, names []string) ([]string, error) {
		l := sy.New(sy.Limit(2)) // at most two at once, for this batch only
		defer l.Close()
		fs := make([]*sy.Future[string], len(names))
		for i, n := range names {
			fs[i] = sy.Go(ctx, l, func(ctx context.Context) (string, error) { return resize(ctx, n) })
		}
		return sy.All(ctx, fs...)
	}
	out, err := batch(context.Background(), []string{"a.png", "b.png", "c.png"})
	fmt.Println(out, err)
	// Output: [a.png resized b.png resized c.png resized] <nil>
}

// A pair that belongs to no input, such as the error of an ended context,
// has index -1. Every input whose call had started when the context ended
// still gets its pair, before that one.
func ExampleIndexed() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := slices.Values([]string{"a", "b", "c"})
	started := make(chan string, 3)
	upper := func(ctx context.Context, s string) (string, error) {
		started <- s
		if s != "a" {
			<-ctx.Done() // the rest take until the context ends
			return "", ctx.Err()
		}
		return strings.ToUpper(s), nil
	}
	for r, err := range sy.MapIndexed(ctx, nil, in, upper, sy.Prefetch(1)) {
		fmt.Println(r.Index, r.Value, err)
		if r.Index == 0 {
			<-started // "a"
			<-started // "b": one at a time, so "c" waits to be read
			cancel()
		}
	}
	// Output:
	// 0 A <nil>
	// 1  context canceled
	// -1  context canceled
}

// Work is known by its function's name, or by the name its context was
// given: in traces, reports, pprof labels and panics.
func ExampleWithName() {
	l := sy.New()
	defer l.Close()
	ctx := sy.WithName(context.Background(), "resize thumbnails")
	defer func() {
		pe := recover().(*sy.PanicError)
		fmt.Println(pe.Value, "in", pe.Work)
	}()
	sy.Call(ctx, l, func(context.Context) (int, error) { panic("out of memory") })
	// Output:
	// out of memory in Call resize thumbnails
}

// Stats is a snapshot of what a loop is doing and has done; publish it
// with expvar (expvar.Func(func() any { return l.Stats() })) or read it in
// a test.
func ExampleLoop_Stats() {
	l := sy.New(sy.Limit(2))
	defer l.Close()
	ctx := context.Background()
	fs := make([]*sy.Future[string], 5)
	for i := range fs {
		fs[i] = sy.Go(ctx, l, func(ctx context.Context) (string, error) { return fetch(ctx, i) })
	}
	sy.Settle(ctx, fs...)
	sy.Call(ctx, l, func(context.Context) (int, error) { return 0, errors.New("not found") })
	s := l.Stats()
	fmt.Printf("started %d, succeeded %d, failed %d, in flight %d\n", s.Started, s.Succeeded, s.Failed, s.InFlight)
	// Output:
	// started 6, succeeded 5, failed 1, in flight 0
}

// A Logger receives the loop's reports as records.
func ExampleLogger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "stack" {
				return slog.Attr{} // for an output that reads the same each run
			}
			return a
		},
	}))
	l := sy.New(sy.Name("jobs"), sy.Logger(logger))
	f := sy.Go(sy.WithName(context.Background(), "nightly report"), l, func(context.Context) (int, error) {
		panic("division by zero")
	})
	<-f.Done()
	l.Close()            // reports the panic nobody observed
	runtime.KeepAlive(f) // (so that Close, not the garbage collector, finds it)
	// Output:
	// level=ERROR msg="synchronicity: a panic nobody observed" loop=jobs panic="division by zero" work="Go nightly report"
}

// ReportSlow makes a serial loop report the job that holds its goroutine
// too long: every caller behind it waits.
func ExampleReportSlow() {
	reported := make(chan struct{})
	out := writerFunc(func(p []byte) (int, error) {
		defer close(reported)
		return os.Stdout.Write(p)
	})
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "held", "started":
				return slog.Attr{} // for an output that reads the same each run
			}
			return a
		},
	}))
	l := sy.New(sy.Serial(), sy.Name("ui"), sy.ReportSlow(20*time.Millisecond), sy.Logger(logger))
	defer l.Close()
	sy.Call(sy.WithName(context.Background(), "decode image"), l, func(context.Context) (int, error) {
		<-reported // a long computation, say, which takes until it is reported
		return 0, nil
	})
	// Output:
	// level=WARN msg="synchronicity: slow work holds a serial loop" loop=ui work="Call decode image" threshold=20ms queued=0
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// With RecordSites a panic says where its work was started.
func ExampleRecordSites() {
	l := sy.New(sy.RecordSites())
	defer l.Close()
	f := sy.Go(context.Background(), l, func(context.Context) (int, error) { panic("oops") })
	defer func() {
		pe := recover().(*sy.PanicError)
		fmt.Println(strings.SplitN(pe.Started, "\n", 2)[0])
	}()
	f.Result()
	// Output:
	// github.com/synchronicity-go/synchronicity_test.ExampleRecordSites
}

func ExampleHistogram() {
	h := sy.Histogram{0, 90, 9, 1} // 90 under 10µs, 9 under 100µs, 1 under 1ms
	fmt.Println(h.Count(), h.Quantile(0.5), h.Quantile(0.99), h.Quantile(1))
	// Output:
	// 100 10µs 100µs 1ms
}
