// Command syncgen writes a façade that runs every method of a type on a
// synchronicity Loop: blocking methods with the same names, and Async()
// whose methods return futures and streams. Add it to a module as a tool
// and run it with go generate:
//
//	go get -tool github.com/synchronicity-go/synchronicity/cmd/syncgen@latest
//
//	//go:generate go tool syncgen -type=conn -name=Conn
//
// It loads the package in the current directory (or the one named as its
// argument), reads the exported methods declared on conn and *conn (with
// -unexported, the unexported ones too: a façade exports what the impl
// exports), and writes conn_syncgen.go beside them with:
//
//   - type Conn, the façade, with conn's doc comment (its first word, conn,
//     becomes Conn) and a paragraph on what the façade adds, and
//     NewConn(l *synchronicity.Loop, impl *conn) *Conn. Every method of the façade runs impl's as a task of l, so on a
//     serial loop a *conn that is not safe for concurrent use can be shared
//     by any number of goroutines. A nil loop means the default loop.
//   - a blocking method for each of conn's, with the same name, and the
//     same arguments and results but for the changes listed below;
//   - Async() *ConnAsync (ConnAsync is Conn under another name), whose
//     methods have the same names and arguments, take a ctx even where
//     conn's have none, and return a *synchronicity.Future for a call or a
//     *synchronicity.Stream for a producer.
//
// Flags:
//
//	-type T      the type whose methods to wrap (required)
//	-name F      the façade's name (default: T with its first letter upper-cased)
//	-output file the file to write (default: t_syncgen.go, lower-cased, beside T)
//	-strict      fail instead of warning when a method fits no shape
//	-unexported  wrap the unexported methods too (by default only the exported ones)
//
// # Shapes
//
// By its signature, each method of *conn becomes:
//
//	conn's method                     the façade's                     Async's result
//	M(ctx, a) (R, error)              M(ctx, a) (R, error)             *Future[R]
//	M(ctx, a) error                   M(ctx, a) error                  *Future[struct{}]
//	M(ctx, a) R                       M(ctx, a) (R, error)             *Future[R]
//	M(ctx, a)                         M(ctx, a) error                  *Future[struct{}]
//	M(ctx, a, yield func(T) bool) error
//	                                  M(ctx, a) iter.Seq2[T, error]    *Stream[T]
//	M(a) (R, error)                   M(a) (R, error)                  *Future[R]
//	M(a) R                            M(a) R                           *Future[R]
//	M(a)                              M(a)                             *Future[struct{}]
//	M(a) (R1, R2, ..., error)         M(a) (R1, R2, ..., error)        *Future[ConnMResult]
//
// where a stands for any arguments (variadic ones pass through) and Async's
// methods all take a ctx first. Two or more results without an error work
// as with one: the façade adds an error if conn's method takes a ctx.
//
// # Decisions
//
//   - The façade's methods keep the names conn's methods give their
//     parameters (ctx included), and its receiver is named as conn's is, so
//     that the docs copied from conn read right; the generated code picks
//     its own locals around them. Only a parameter that would hide
//     something the generated code refers to (a package, a type of the
//     package) is renamed, to arg0, arg1, ...
//   - Every blocking method returns an error, and one whose impl method
//     returns none gains an error result: a ctx that ends before the
//     method's turn, or a closed loop, must be reported, and the method is
//     then not called. A getter that panicked on a closed loop would
//     surprise its caller, so none does; the generated doc of each such
//     method says what its error means.
//   - A method without a ctx runs with a ctx that never ends. Its call can
//     fail only when the loop is closed (the error matches
//     synchronicity.ErrClosed).
//   - A method with more than one non-error result keeps its results in
//     the blocking form; its Async form returns a future of a small struct,
//     ConnMResult (the façade's name, the method's with its first letter
//     upper-cased, and Result), whose fields are the results' names
//     upper-cased, or V0, V1, ... when they are unnamed or clash.
//   - If conn has Enter(ctx) (V, error) and Exit(ctx, error) error, the
//     façade is a synchronicity.ContextManager too, and a use of it holds
//     the *conn for its body: see Context managers below. Async has no
//     Enter or Exit: use the manager with synchronicity.Do or With instead.
//   - Wherever an argument, a result, a producer's value or Enter's value
//     is *conn, the façade takes or returns *Conn. A façade argument is
//     unwrapped to its *conn, which then runs on the loop of the façade
//     whose method was called. A *conn result is wrapped in a façade on the
//     same loop, and the façades that one NewConn and the results of their
//     methods make keep one façade per *conn, so a *conn handed out twice
//     comes back as the same *Conn while the first is held. In a module at
//     go1.24 or later the family holds its façades weakly and lets go of
//     those nobody holds; before, it keeps them all while any is reachable.
//     Each NewConn starts afresh. conn anywhere else in a signature (conn by
//     value, []*conn, func(*conn)) would hand out the impl unwrapped: such a
//     method is left out with a warning.
//   - Only *conn is translated. A method that takes or returns a pointer to
//     another type of the package that has a façade of its own (a *tx
//     beside a generated Tx) is generated, with a warning: that value goes
//     over unwrapped, and calls on it would run off the loop. Take or
//     return the other façade instead.
//   - Methods come out in name order, with their doc comments copied.
//     Methods promoted from embedded fields are not wrapped: declare the
//     ones the façade should have on the type.
//   - A method Close() error, the shape of io.Closer, still closes the impl
//     once the loop has closed: nothing else can use the impl then, so the
//     façade's Close waits for the loop's work to end and calls the impl's
//     Close on the caller's goroutine.
//   - Generic types are refused: declare a non-generic type for the
//     instance you need and wrap that.
//   - A method fits no shape when its ctx is not its first argument, when
//     it ends in yield func(T) bool but does not return just error, when it
//     mentions conn other than as *conn, or when its name is one the façade
//     uses itself (Async, the fields loop, impl and fam, and for a context
//     manager hold and use). Such
//     methods are left out with a warning naming each and why; -strict
//     makes that an error. A type with no method that fits is an error.
//   - The output file from an earlier run is read as empty while loading,
//     so a stale façade does not stop its regeneration; other errors in
//     the package (such as code using a façade method that is gone) are
//     ignored unless they reach conn's methods. Names the façade would
//     declare that the package already declares are an error.
//
// # Context managers
//
// When conn's Enter and Exit begin and end a transaction, as a database
// connection's do, every call made between them joins it. A façade shared
// by many goroutines must then keep the transaction to the goroutine that
// began it, so that no one else's call runs inside it (and is rolled back
// with it), and must let several goroutines use transactions at once. So a
// use of the façade as a context manager holds the *conn:
//
//	err := synchronicity.Do(ctx, c, func(tx *Conn) error {
//		return tx.Insert(ctx, "row") // through tx, not c
//	})
//
// In detail:
//
//   - A use holds the *conn from its Enter until its Exit has run. Enter
//     takes the façade's hold (there is one per *conn in a family), then
//     runs conn's Enter on the loop as synchronicity.OnLoop does, with a
//     manager of the use's own; Exit runs conn's Exit on the loop and lets
//     go of the hold. The loop's Close waits for the Exit, and the body
//     runs on the caller's goroutine.
//   - Meanwhile every call through c (and through any façade of the same
//     *conn that the family hands out) waits for its turn: blocking
//     methods, Async's methods (which then block their caller before they
//     start their task: on a serial loop a task cannot wait for the hold
//     without stopping the body's own calls), each step of a producer, and
//     every other Enter. A waiting call honours its ctx: when ctx ends
//     first it returns ctx's error (Async, a future failed with it; a
//     producer, a last pair with it) and conn's method is not called. A
//     method without a ctx waits as long as it takes.
//   - Enter in turn waits for an open use to end, and for the calls that
//     have their turn: a blocking call until it returns, an Async call or
//     a stream until it is queued on the loop. On a serial loop, then, no
//     call but the body's runs between a use's Enter and its Exit. (On a
//     concurrent loop, where conn must be safe for concurrent use anyway,
//     an Async call or a stream queued before Enter may still be running.)
//   - The body calls through the *Conn that Enter returned: a façade of
//     that use alone, distinct from c, as *sql.Tx is from *sql.DB. It has
//     all of c's methods and Async, and its calls skip the hold. Once Exit
//     has run they fail with an error saying so; Enter on it fails, since
//     uses do not nest.
//     Exit may be called on either façade; Do, With and synchronicity.Enter
//     call c's. Exit with no use open, or twice, panics.
//   - A body that calls c instead waits for its own Exit: for ever, or
//     until that call's ctx ends. It is not detected: it differs from
//     another goroutine's call only in which goroutine makes it, and no
//     decision here reads goroutine identity (comparing contexts would
//     not do: unrelated goroutines share context.Background()).
//   - If Enter's value V is not *conn, there is no façade of the use: the
//     body works through V and must not call c.
//   - A producer's loop body holds no turn, so it may call c, and a use
//     may begin between two values; the producer's next step then waits
//     for that use's Exit, so no step runs inside another's use. A stream
//     (Async's form) waits for its turn to start, but then runs ahead on
//     the loop: a use that begins meanwhile does not wait for it, and its
//     later steps may run inside that use. Range the blocking form where
//     that matters.
//
// Calls share their turns and uses take the hold alone, as readers and
// writers of a sync.RWMutex do, but waiting on channels so that ctx is
// honoured; a use waiting for calls to drain keeps new calls out, so a
// steady stream of calls cannot starve it, and no caller holds a turn
// while its own code runs (a producer's loop body included), so a turn
// never waits for a use that waits for it. Calls still queue on the loop
// together: the hold costs a call two uncontended mutex round trips. The
// façade of a type that is not a context manager has no hold and pays
// nothing.
//
// Errors (bad flags, a missing type, a type without methods) are printed
// and the command exits with status 2.
package main
