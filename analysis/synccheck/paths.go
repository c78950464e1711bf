package synccheck

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis/passes/ctrlflow"
	"golang.org/x/tools/go/cfg"
)

// exitPaths reports an exit function of Enter that some path from the
// Enter to a return never calls (nor defers, nor passes on), as lostcancel
// does for a context's cancel function. Paths on which Enter's own error
// is not nil, as in the usual if err != nil { return err }, need no exit.
// call is the Enter call, assign the statement it is in, and stack the
// nodes enclosing it.
func (c *checker) exitPaths(v *types.Var, call *ast.CallExpr, assign *ast.AssignStmt, stack []ast.Node) {
	cfgs := c.pass.ResultOf[ctrlflow.Analyzer].(*ctrlflow.CFGs)
	var g *cfg.CFG
	for i := len(stack) - 1; i >= 0 && g == nil; i-- {
		switch f := stack[i].(type) {
		case *ast.FuncDecl:
			g = cfgs.FuncDecl(f)
		case *ast.FuncLit:
			g = cfgs.FuncLit(f)
		}
	}
	if g == nil {
		return
	}
	var errVar *types.Var
	if len(assign.Lhs) == 3 {
		errVar = c.variable(assign.Lhs[2])
	}
	uses := func(n ast.Node) bool {
		found := false
		ast.Inspect(n, func(x ast.Node) bool {
			if id, ok := x.(*ast.Ident); ok && c.pass.TypesInfo.Uses[id] == v && !c.notUse[id] {
				found = true
			}
			return !found
		})
		return found
	}
	// Find the Enter's statement, and look at what follows it.
	for _, b := range g.Blocks {
		for i, n := range b.Nodes {
			if n != assign {
				continue
			}
			if ret := c.pathWithoutExit(b, i+1, uses, errVar); ret != nil {
				name := v.Name()
				c.reportRangef(call, "the exit function %s of synchronicity.Enter is not called on all paths, so the manager's Exit never runs on them: "+
					"defer %s(&err) right after Enter's error is checked", name, name)
				if r, ok := ret.(*ast.ReturnStmt); ok {
					c.reportRangef(r, "this return statement may be reached without calling %s", name)
				}
			}
			return
		}
	}
}

// pathWithoutExit looks for a path from node i of block b to the end of the
// function on which no node uses the exit function; it returns the return
// statement (or the block) that ends one, or nil.
func (c *checker) pathWithoutExit(b *cfg.Block, i int, uses func(ast.Node) bool, errVar *types.Var) ast.Node {
	seen := map[*cfg.Block]bool{}
	var search func(b *cfg.Block, from int) ast.Node
	search = func(b *cfg.Block, from int) ast.Node {
		for _, n := range b.Nodes[from:] {
			if uses(n) {
				return nil
			}
		}
		succs := b.Succs
		if len(b.Nodes) > 0 && len(succs) == 2 {
			// if err != nil: the true branch is Enter's failure.
			switch failsOn(b.Nodes[len(b.Nodes)-1], errVar, c.pass.TypesInfo) {
			case token.NEQ:
				succs = succs[1:]
			case token.EQL:
				succs = succs[:1]
			}
		}
		if len(succs) == 0 {
			if len(b.Nodes) > 0 {
				if r, ok := b.Nodes[len(b.Nodes)-1].(*ast.ReturnStmt); ok {
					return r
				}
			}
			if b.Kind == cfg.KindUnreachable || !b.Live {
				return nil
			}
			return b.Stmt // the end of the body, or a call that never returns
		}
		for _, s := range succs {
			if seen[s] {
				continue
			}
			seen[s] = true
			if r := search(s, 0); r != nil {
				return r
			}
		}
		return nil
	}
	return search(b, i)
}

// failsOn returns token.NEQ for a condition err != nil (or nil != err) on
// Enter's error variable, token.EQL for err == nil, and 0 for anything else.
func failsOn(n ast.Node, errVar *types.Var, info *types.Info) token.Token {
	be, ok := n.(*ast.BinaryExpr)
	if !ok || errVar == nil || (be.Op != token.NEQ && be.Op != token.EQL) {
		return 0
	}
	isErr := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && info.Uses[id] == errVar
	}
	isNil := func(e ast.Expr) bool {
		id, ok := ast.Unparen(e).(*ast.Ident)
		return ok && id.Name == "nil"
	}
	if isErr(be.X) && isNil(be.Y) || isNil(be.X) && isErr(be.Y) {
		return be.Op
	}
	return 0
}
