package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	sy "github.com/synchronicity-go/synchronicity"
)

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
		defer func() { fmt.Println("recovered:", recover().(*sy.PanicError).Value) }()
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

func ExampleWith() {
	for token, err := range sy.With(context.Background(), &session{user: "bob"}) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println("working with", token)
	}
	// Output:
	// log in bob
	// working with token-bob
	// log out bob after <nil>
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
			token, err := sy.Push(&stack, ctx, &session{user: u})
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
	a, _ := sy.Push(&stack, ctx, &session{user: "ada"})
	b, _ := sy.Push(&stack, ctx, &session{user: "bob"})
	fmt.Println("using", a, "and", b)
	fmt.Println("result:", stack.Close(ctx, nil))
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
	fmt.Println("result:", stack.Close(ctx, nil))
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

func ExampleLocking() {
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = sy.Do(context.Background(), sy.Locking(&mu), func(struct{}) error {
				total += i
				return nil
			})
		}()
	}
	wg.Wait()
	fmt.Println(total)
	// Output: 55
}
