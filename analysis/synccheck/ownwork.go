package synccheck

import (
	"go/ast"
	"go/types"
	"strconv"
	"strings"
)

// ownWork reports call, a Close or Shutdown of a loop, if it runs inside
// work handed to that same loop: a function literal given to Call, Go,
// Wrap, Map, a producer given to Seq or Start, a Scoped manager given to
// OnLoop, the body of Do on an OnLoop manager, or the body of a range over
// the loop's Seq or Map, or of a With on an OnLoop manager. Such a Close
// waits for the work calling it and never returns. The search goes out
// through the function literals that run where they are written (called
// there, or held in a variable called there) and ends at any other: one
// started with a go statement, handed to other code (time.AfterFunc,
// another loop) or stored runs elsewhere or later.
func (c *checker) ownWork(call *ast.CallExpr, stack []ast.Node) {
	fn := c.libFunc(call)
	if fn == nil || fn.Name() != "Close" && fn.Name() != "Shutdown" {
		return
	}
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil || libType(sig.Recv().Type()) != "Loop" {
		return
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	loop := c.loopKey(sel.X)
	if loop == "" {
		return
	}
	for i := len(stack) - 2; i >= 0; i-- {
		switch n := stack[i].(type) {
		case *ast.GoStmt:
			return
		case *ast.FuncDecl:
			return
		case *ast.RangeStmt:
			if on, ok := c.handsWork(n.X); ok && on == loop && encloses(n.Body, call) {
				if !c.assignsLoop(n.Body, loop, call) {
					c.reportOwn(call, sel, fn.Name())
				}
				return
			}
		case *ast.FuncLit:
			if c.litLoop(stack[:i], n) == loop {
				if !c.assignsLoop(n.Body, loop, call) {
					c.reportOwn(call, sel, fn.Name())
				}
				return
			}
			if !c.runsHere(stack[:i], n) {
				return
			}
		}
	}
}

// runsHere reports whether lit runs inside the function that encloses it:
// it is called where it is written (func() { ... }(), deferred or not), or
// assigned to a variable that that function calls other than with go.
// outer holds the nodes that enclose lit, innermost last.
func (c *checker) runsHere(outer []ast.Node, lit *ast.FuncLit) bool {
	var e ast.Node = lit
	i := len(outer) - 1
	for ; i >= 0; i-- {
		if _, ok := outer[i].(*ast.ParenExpr); !ok {
			break
		}
		e = outer[i]
	}
	if i < 0 {
		return false
	}
	var v types.Object // the variable that holds lit
	switch p := outer[i].(type) {
	case *ast.CallExpr:
		return p.Fun == e
	case *ast.AssignStmt:
		for j, r := range p.Rhs {
			if r == e && len(p.Lhs) == len(p.Rhs) {
				if id, ok := p.Lhs[j].(*ast.Ident); ok {
					v = c.pass.TypesInfo.ObjectOf(id)
				}
			}
		}
	case *ast.ValueSpec:
		for j, r := range p.Values {
			if r == e && len(p.Names) == len(p.Values) {
				v = c.pass.TypesInfo.ObjectOf(p.Names[j])
			}
		}
	}
	if v == nil {
		return false
	}
	for j := i - 1; j >= 0; j-- {
		switch f := outer[j].(type) {
		case *ast.FuncLit:
			return c.callsHere(f.Body, v)
		case *ast.FuncDecl:
			return c.callsHere(f.Body, v)
		}
	}
	return false
}

// callsHere reports whether body calls the function in v itself: not in a
// go statement, nor in a function literal that may run elsewhere (one
// called where it is written runs here).
func (c *checker) callsHere(body *ast.BlockStmt, v types.Object) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt, *ast.FuncLit:
			return false
		case *ast.CallExpr:
			switch f := ast.Unparen(n.Fun).(type) {
			case *ast.Ident:
				found = c.pass.TypesInfo.Uses[f] == v
			case *ast.FuncLit:
				found = c.callsHere(f.Body, v)
			}
		}
		return !found
	})
	return found
}

// assignsLoop reports whether work assigns loop, or what holds it, before
// call: the loop closed there is then one the work put there, not the one
// it runs on.
func (c *checker) assignsLoop(work ast.Node, loop string, call *ast.CallExpr) bool {
	found := false
	ast.Inspect(work, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok && a.Pos() < call.Pos() {
			for _, e := range a.Lhs {
				if k := c.loopKey(e); k != "" && (k == loop || strings.HasPrefix(loop, k+".")) {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

func (c *checker) reportOwn(call *ast.CallExpr, sel *ast.SelectorExpr, op string) {
	l := types.ExprString(ast.Unparen(sel.X))
	c.reportRangef(call.Fun, "%s.%s called from work running on %s waits for that work, and so for itself, and never returns: close the loop once the work has returned (after Call returns, the future settles or the range ends)", l, op, l)
}

// litLoop returns the loop that lit is handed to as work, or "": outer
// holds the nodes that enclose lit, innermost last.
func (c *checker) litLoop(outer []ast.Node, lit *ast.FuncLit) string {
	if len(outer) == 0 {
		return ""
	}
	call, ok := outer[len(outer)-1].(*ast.CallExpr)
	if !ok {
		return ""
	}
	if fn := c.libFunc(call); fn != nil && fn.Name() == "Scoped" && len(outer) > 1 {
		// A manager's own function, if the manager goes straight to OnLoop.
		if on, ok := outer[len(outer)-2].(*ast.CallExpr); ok && len(on.Args) == 2 && ast.Unparen(on.Args[1]) == call {
			return c.onLoopOf(on)
		}
		return ""
	}
	return c.handsLit(call, lit)
}

// handsLit returns the loop that call hands lit to as work, or "".
func (c *checker) handsLit(call *ast.CallExpr, lit *ast.FuncLit) string {
	fn := c.libFunc(call)
	if fn == nil || fn.Type().(*types.Signature).Recv() != nil {
		return ""
	}
	arg := func(i int) ast.Expr {
		if i < len(call.Args) {
			return ast.Unparen(call.Args[i])
		}
		return nil
	}
	var loopArg, workArg int
	switch fn.Name() {
	case "Call", "Go", "Seq", "Start":
		loopArg, workArg = 1, 2
	case "Map", "Map2", "MapIndexed":
		loopArg, workArg = 1, 3
	case "Wrap":
		loopArg, workArg = 0, 1
	case "Do":
		if arg(2) == lit {
			if inner, ok := arg(1).(*ast.CallExpr); ok {
				return c.onLoopOf(inner)
			}
		}
		return ""
	default:
		return ""
	}
	if arg(workArg) != lit {
		return ""
	}
	return c.loopKey(arg(loopArg))
}

// onLoopOf returns the loop of call if it is OnLoop(l, ...), or "".
func (c *checker) onLoopOf(call *ast.CallExpr) string {
	if fn := c.libFunc(call); fn != nil && fn.Name() == "OnLoop" && len(call.Args) == 2 {
		return c.loopKey(call.Args[0])
	}
	return ""
}

// handsWork returns the loop whose work a range over x runs: x is a call of
// Seq, Map, Map2 or MapIndexed.
func (c *checker) handsWork(x ast.Expr) (string, bool) {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok {
		return "", false
	}
	fn := c.libFunc(call)
	if fn == nil || fn.Type().(*types.Signature).Recv() != nil || len(call.Args) < 2 {
		return "", false
	}
	switch fn.Name() {
	case "Seq", "Map", "Map2", "MapIndexed":
		return c.loopKey(call.Args[1]), true
	}
	return "", false
}

// loopKey names the loop that e denotes, so that two expressions for the
// same loop get the same key: a variable, a field path from a variable,
// or the default loop (nil). It returns "" for anything else.
func (c *checker) loopKey(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if e.Name == "nil" {
			if _, ok := c.pass.TypesInfo.Uses[e].(*types.Nil); ok {
				return "default"
			}
		}
		if obj := c.pass.TypesInfo.Uses[e]; obj != nil {
			if _, ok := obj.(*types.Var); ok {
				return objKey(obj)
			}
		}
	case *ast.SelectorExpr:
		if x := c.loopKey(e.X); x != "" && x != "default" {
			return x + "." + e.Sel.Name
		}
	}
	return ""
}

// objKey tells objects apart by where they are declared.
func objKey(obj types.Object) string {
	return obj.Name() + "@" + strconv.Itoa(int(obj.Pos()))
}

// encloses reports whether n lies within outer.
func encloses(outer, n ast.Node) bool {
	return outer.Pos() <= n.Pos() && n.End() <= outer.End()
}
