// Package exits uses the exit function of Enter, right and wrong.
package exits

import (
	"context"
	"errors"

	sy "github.com/synchronicity-go/synchronicity"
)

var tx = sy.Scoped(func(ctx context.Context, yield func(int) error) error { return yield(1) })

// Named is the documented form: exit sees the error the function returns.
func Named(ctx context.Context) (err error) {
	_, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return err
	}
	defer exit(&err)
	return errors.New("body failed")
}

// NamedOther names its result something else.
func NamedOther(ctx context.Context) (n int, failure error) {
	v, exit, failure := sy.Enter(ctx, tx)
	if failure != nil {
		return 0, failure
	}
	defer exit(&failure)
	return v, nil
}

// Unnamed has no named results: Exit sees the local err, nil.
func Unnamed(ctx context.Context) error {
	_, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return err
	}
	defer exit(&err) // want `defer exit\(&err\): err is not a named result.*name the error result, as in func f\(\) \(err error\), and defer exit\(&err\)`
	return errors.New("insufficient funds")
}

// Shadowed enters in an inner block, where := makes a new err.
func Shadowed(ctx context.Context, ok bool) (err error) {
	if ok {
		_, exit, err := sy.Enter(ctx, tx)
		if err != nil {
			return err
		}
		defer exit(&err) // want `defer exit\(&err\): this err is declared inside the function and shadows the named result, so the error the function returns never reaches Exit: assign the named result err with = instead`
	}
	return errors.New("body failed")
}

// OtherVariable names its result but passes another error.
func OtherVariable(ctx context.Context) (err error) {
	_, done, enterErr := sy.Enter(ctx, tx)
	if enterErr != nil {
		return enterErr
	}
	defer done(&enterErr) // want `defer done\(&enterErr\): enterErr is not the function's named result err.*defer done\(&err\)`
	return nil
}

// Closure defers exit in a function literal: the literal's results count.
func Closure(ctx context.Context) (err error) {
	run := func() error {
		_, exit, err := sy.Enter(ctx, tx)
		if err != nil {
			return err
		}
		defer exit(&err) // want `err is not a named result`
		return nil
	}
	outer := func() error {
		var exit func(*error)
		_, exit, err = sy.Enter(ctx, tx)
		if err != nil {
			return err
		}
		defer exit(&err) // want `defer exit\(&err\): err is a result of an enclosing function, not of the function literal that defers exit.*give the literal a named error result`
		return errors.New("body failed")
	}
	named := func() (err error) {
		_, exit, err := sy.Enter(ctx, tx)
		if err != nil {
			return err
		}
		defer exit(&err)
		return nil
	}
	return errors.Join(run(), named(), outer())
}

// Explicit generic instantiation is the same call.
func Explicit(ctx context.Context) error {
	_, exit, err := sy.Enter[int](ctx, tx)
	if err != nil {
		return err
	}
	defer exit(&err) // want `err is not a named result`
	return nil
}

// NilErr asks for what the docs allow: Exit sees nil, its result is dropped.
func NilErr(ctx context.Context) error {
	_, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return err
	}
	defer exit(nil)
	return nil
}

// CalledDirectly calls exit before returning the error it wrote.
func CalledDirectly(ctx context.Context) error {
	_, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return err
	}
	err = errors.New("body failed")
	exit(&err)
	return err
}

// PassedOn returns the exit function: its caller is responsible for it.
func PassedOn(ctx context.Context) (int, func(*error), error) {
	v, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return 0, nil, err
	}
	return v, exit, nil
}

// Returned hands Enter's results straight on.
func Returned(ctx context.Context) (int, func(*error), error) {
	return sy.Enter(ctx, tx)
}

type holder struct{ exit func(*error) }

// Stored keeps the exit function in a field.
func Stored(ctx context.Context, h *holder) (err error) {
	_, h.exit, err = sy.Enter(ctx, tx)
	return err
}

// Handed passes the exit function to another function.
func Handed(ctx context.Context, later func(func(*error))) error {
	_, exit, err := sy.Enter(ctx, tx)
	if err == nil {
		later(exit)
	}
	return err
}

// Blank throws the exit function away.
func Blank(ctx context.Context) error {
	_, _, err := sy.Enter(ctx, tx) // want `the exit function of synchronicity.Enter is assigned to _, so the manager's Exit never runs`
	return err
}

// Silenced uses the exit function only to keep the compiler quiet.
func Silenced(ctx context.Context) error {
	_, exit, err := sy.Enter(ctx, tx) // want `the exit function exit of synchronicity.Enter is never called.*defer exit\(&err\)`
	_ = exit
	return err
}

// Declared assigns to a declared variable that is never called.
func Declared(ctx context.Context) error {
	var exit func(*error)
	var err error
	_, exit, err = sy.Enter(ctx, tx) // want `the exit function exit of synchronicity.Enter is never called`
	_ = exit
	return err
}

// VarSpec declares with var, and defers correctly.
func VarSpec(ctx context.Context) (err error) {
	var _, exit, enterErr = sy.Enter(ctx, tx)
	if enterErr != nil {
		return enterErr
	}
	defer exit(&err)
	return nil
}

// Dropped calls Enter as a statement.
func Dropped(ctx context.Context) {
	sy.Enter(ctx, tx) // want `the results of synchronicity.Enter are dropped`
}

// InClosure calls exit from a deferred function literal: a panic in the
// body never reaches Exit there.
func InClosure(ctx context.Context) (err error) {
	_, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return err
	}
	defer func() { exit(&err) }() // want `exit is called inside a deferred function literal`
	return nil
}

// EarlyReturn returns between Enter and the deferred exit.
func EarlyReturn(ctx context.Context, skip bool) (err error) {
	_, exit, err := sy.Enter(ctx, tx) // want `the exit function exit of synchronicity.Enter is not called on all paths`
	if err != nil {
		return err
	}
	if skip {
		return nil // want `this return statement may be reached without calling exit`
	}
	defer exit(&err)
	return nil
}

// NotDeferred calls exit at the end, which an early return skips.
func NotDeferred(ctx context.Context, n int) (err error) {
	v, exit, err := sy.Enter(ctx, tx) // want `the exit function exit of synchronicity.Enter is not called on all paths`
	if err != nil {
		return err
	}
	if v > n {
		return errors.New("too big") // want `this return statement may be reached without calling exit`
	}
	exit(&err)
	return err
}

// EveryPath calls exit on every path, without defer.
func EveryPath(ctx context.Context, n int) (err error) {
	v, exit, err := sy.Enter(ctx, tx)
	if nil != err {
		return err
	}
	if v > n {
		err = errors.New("too big")
		exit(&err)
		return err
	}
	exit(&err)
	return err
}

// HandedBack hands exit to its caller on the path that does not call it.
func HandedBack(ctx context.Context) (func(*error), error) {
	_, exit, err := sy.Enter(ctx, tx)
	if err != nil {
		return nil, err
	}
	return exit, nil
}
