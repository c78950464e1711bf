package synccheck

import (
	"cmp"
	_ "embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/ctrlflow"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"
)

// libPath is the import path of the package whose use is checked.
const libPath = "github.com/synchronicity-go/synchronicity"

//go:embed doc.go
var docFile string

// Analyzer reports misuses of the synchronicity package; the package
// documentation lists them.
var Analyzer = &analysis.Analyzer{
	Name:     "synccheck",
	Doc:      analyzerDoc(docFile),
	URL:      "https://pkg.go.dev/" + libPath + "/analysis/synccheck",
	Requires: []*analysis.Analyzer{inspect.Analyzer, ctrlflow.Analyzer},
	Run:      run,
}

// analyzerDoc returns the text under the "# Analyzer synccheck" heading of
// the package comment in src, the one place the rules are written.
func analyzerDoc(src string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", src, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil || f.Doc == nil {
		panic("synccheck: doc.go has no package comment")
	}
	_, doc, ok := strings.Cut(f.Doc.Text(), "# Analyzer synccheck\n\n")
	if !ok {
		panic("synccheck: doc.go has no # Analyzer synccheck section")
	}
	return strings.TrimPrefix(doc, "synccheck: ")
}

func run(pass *analysis.Pass) (any, error) {
	if !imports(pass.Pkg, libPath) {
		return nil, nil
	}
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	c := &checker{
		pass:   pass,
		exits:  map[*types.Var]*ast.CallExpr{},
		seqs:   map[*types.Var]bool{},
		notUse: map[*ast.Ident]bool{},
	}

	// First the variables: which hold exit functions of Enter, and which
	// hold sequences from the package.
	ins.Preorder([]ast.Node{(*ast.AssignStmt)(nil), (*ast.ValueSpec)(nil), (*ast.ExprStmt)(nil)}, func(n ast.Node) {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, e := range n.Lhs {
				if id, ok := ast.Unparen(e).(*ast.Ident); ok {
					c.notUse[id] = true // assigned to, not read
				}
			}
			c.assign(n.Lhs, n.Rhs)
		case *ast.ValueSpec:
			lhs := make([]ast.Expr, len(n.Names))
			for i, id := range n.Names {
				lhs[i] = id
			}
			c.assign(lhs, n.Values)
		case *ast.ExprStmt:
			c.exprStmt(n)
		}
	})
	c.unusedExits()

	// Then the statements that use them.
	ins.WithStack([]ast.Node{(*ast.DeferStmt)(nil), (*ast.RangeStmt)(nil), (*ast.CallExpr)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		switch n := n.(type) {
		case *ast.DeferStmt:
			c.deferStmt(n, stack)
		case *ast.RangeStmt:
			c.rangeStmt(n)
		case *ast.CallExpr:
			c.ownWork(n, stack)
			c.enterPaths(n, stack)
		}
		return true
	})
	// The checks run in passes; the reports come out in source order.
	slices.SortStableFunc(c.diags, func(a, b analysis.Diagnostic) int { return cmp.Compare(a.Pos, b.Pos) })
	for _, d := range c.diags {
		pass.Report(d)
	}
	return nil, nil
}

// imports reports whether pkg is the package at path or imports it
// directly.
func imports(pkg *types.Package, path string) bool {
	if pkg.Path() == path {
		return true
	}
	for _, p := range pkg.Imports() {
		if p.Path() == path {
			return true
		}
	}
	return false
}

type checker struct {
	pass  *analysis.Pass
	exits map[*types.Var]*ast.CallExpr // exit function variables → their Enter call
	order []*types.Var                 // exits, in the order found
	seqs  map[*types.Var]bool          // variables assigned a sequence from the package
	// notUse holds identifiers that the type checker counts as uses but
	// that read nothing useful: the left of an assignment, and x in _ = x,
	// which silences the compiler but calls nothing.
	notUse map[*ast.Ident]bool
	diags  []analysis.Diagnostic // reported at the end, in source order
	unused map[*types.Var]bool   // exit functions reported as never used
}

func (c *checker) report(d analysis.Diagnostic) { c.diags = append(c.diags, d) }

func (c *checker) reportRangef(rng analysis.Range, format string, args ...any) {
	c.report(analysis.Diagnostic{Pos: rng.Pos(), End: rng.End(), Message: fmt.Sprintf(format, args...)})
}

// libFunc returns the package-level function or method of the package that
// call calls, or nil.
func (c *checker) libFunc(call *ast.CallExpr) *types.Func {
	fn, ok := typeutil.Callee(c.pass.TypesInfo, call).(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != libPath {
		return nil
	}
	return fn
}

// isEnter reports whether call calls the function synchronicity.Enter.
func (c *checker) isEnter(call *ast.CallExpr) bool {
	fn := c.libFunc(call)
	if fn == nil || fn.Name() != "Enter" {
		return false
	}
	sig := fn.Type().(*types.Signature)
	return sig.Recv() == nil && sig.Results().Len() == 3
}

// assign records the variables that an assignment or declaration fills
// with an exit function or a sequence, and reports exit functions assigned
// to _.
func (c *checker) assign(lhs, rhs []ast.Expr) {
	if len(rhs) == 1 && len(lhs) == 3 {
		if call, ok := ast.Unparen(rhs[0]).(*ast.CallExpr); ok && c.isEnter(call) {
			c.exitTo(lhs[1], call)
			return
		}
	}
	if len(lhs) == len(rhs) {
		blank := true
		for _, e := range lhs {
			if id, ok := e.(*ast.Ident); !ok || id.Name != "_" {
				blank = false
			}
		}
		for i, e := range rhs {
			e = ast.Unparen(e)
			if id, ok := e.(*ast.Ident); ok && blank {
				c.notUse[id] = true
			}
			if v := c.variable(lhs[i]); v != nil {
				if call, ok := e.(*ast.CallExpr); ok && isErrSeq2(c.pass.TypesInfo.TypeOf(call)) {
					c.seqs[v] = true
				}
			}
		}
	}
}

// variable returns the local variable that e names, or nil.
func (c *checker) variable(e ast.Expr) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok || id.Name == "_" {
		return nil
	}
	v, _ := c.pass.TypesInfo.ObjectOf(id).(*types.Var)
	if v == nil || v.Pkg() == nil || v.Parent() == v.Pkg().Scope() {
		return nil // a package-level variable: passed on
	}
	return v
}

// exitTo notes that the exit function of Enter's call is assigned to e.
func (c *checker) exitTo(e ast.Expr, call *ast.CallExpr) {
	if id, ok := ast.Unparen(e).(*ast.Ident); ok && id.Name == "_" {
		c.report(analysis.Diagnostic{
			Pos: id.Pos(), End: id.End(),
			Message: "the exit function of synchronicity.Enter is assigned to _, so the manager's Exit never runs: " +
				"name it and defer exit(&err) once Enter's error is checked",
		})
		return
	}
	if v := c.variable(e); v != nil {
		if _, seen := c.exits[v]; !seen {
			c.order = append(c.order, v)
		}
		c.exits[v] = call
	}
	// Anything else (a field, a package variable) passes the exit function
	// on to code that is responsible for it.
}

// exprStmt reports a call whose result carries work that must not be
// dropped: Enter's exit function, a future or a stream — from the package
// or from any function or method that returns one, such as a syncgen
// façade's.
func (c *checker) exprStmt(s *ast.ExprStmt) {
	call, ok := ast.Unparen(s.X).(*ast.CallExpr)
	if !ok {
		return
	}
	fn, _ := typeutil.Callee(c.pass.TypesInfo, call).(*types.Func)
	if fn == nil {
		return
	}
	if c.isEnter(call) {
		c.reportRangef(call, "the results of synchronicity.Enter are dropped, so the manager's Exit never runs: "+
			"v, exit, err := synchronicity.Enter(...), then defer exit(&err) once err is checked")
		return
	}
	switch libType(c.pass.TypesInfo.TypeOf(call)) {
	case "Future":
		c.reportRangef(call, "the future returned by %s is dropped, so its result, error and any panic are never observed: "+
			"keep it and wait for it (Result, Wait, All), or call synchronicity.Call to block", name(fn))
	case "Stream":
		c.reportRangef(call, "the stream returned by %s is dropped, so its values and error are never read: "+
			"keep it and range over its C() or Seq(), or Stop it", name(fn))
	}
}

// name is fn's name as written at a call: Go, or Func.Go for a method.
func name(fn *types.Func) string {
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil {
		return fn.Name()
	}
	t := recv.Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name() + "." + fn.Name()
	}
	return fn.Name()
}

// libType returns the name of the package's type that t points to
// (*Future[T], *Stream[T]), or "".
func libType(t types.Type) string {
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return ""
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != libPath {
		return ""
	}
	return n.Obj().Name()
}

// isErrSeq2 reports whether t is iter.Seq2[T, error].
func isErrSeq2(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "iter" || n.Obj().Name() != "Seq2" {
		return false
	}
	args := n.TypeArgs()
	return args.Len() == 2 && types.Identical(args.At(1), errorType)
}

// enterPaths checks the paths after an Enter whose exit function is kept
// in a local variable that is used somewhere (unusedExits reports one that
// is not).
func (c *checker) enterPaths(call *ast.CallExpr, stack []ast.Node) {
	if !c.isEnter(call) || len(stack) < 2 {
		return
	}
	assign, ok := stack[len(stack)-2].(*ast.AssignStmt)
	if !ok || len(assign.Lhs) != 3 {
		return
	}
	v := c.variable(assign.Lhs[1])
	if v == nil || c.exits[v] != call || c.unused[v] {
		return
	}
	c.exitPaths(v, call, assign, stack)
}

// unusedExits reports exit functions that are never used, other than
// being thrown away with _ = exit.
func (c *checker) unusedExits() {
	if len(c.exits) == 0 {
		return
	}
	used := map[*types.Var]bool{}
	for id, obj := range c.pass.TypesInfo.Uses {
		if v, ok := obj.(*types.Var); ok && c.exits[v] != nil && !c.notUse[id] {
			used[v] = true
		}
	}
	c.unused = map[*types.Var]bool{}
	for _, v := range c.order {
		if !used[v] {
			c.unused[v] = true
			call := c.exits[v]
			c.reportRangef(call, "the exit function %s of synchronicity.Enter is never called, so the manager's Exit never runs: "+
				"defer %s(&err) once Enter's error is checked", v.Name(), v.Name())
		}
	}
}

// deferStmt reports defer exit(&x) where x is not a named result of the
// function that defers it, and an exit function called inside a deferred
// function literal.
func (c *checker) deferStmt(d *ast.DeferStmt, stack []ast.Node) {
	if lit, ok := ast.Unparen(d.Call.Fun).(*ast.FuncLit); ok {
		c.deferredLit(lit)
		return
	}
	id, ok := ast.Unparen(d.Call.Fun).(*ast.Ident)
	if !ok || len(d.Call.Args) != 1 {
		return
	}
	if v, ok := c.pass.TypesInfo.Uses[id].(*types.Var); !ok || c.exits[v] == nil {
		return
	}
	addr, ok := ast.Unparen(d.Call.Args[0]).(*ast.UnaryExpr)
	if !ok || addr.Op != token.AND {
		return // nil, or a pointer passed on: not ours to judge
	}
	x, ok := ast.Unparen(addr.X).(*ast.Ident)
	if !ok {
		return // a field or an element: the code that owns it reads it
	}
	target := c.pass.TypesInfo.Uses[x]
	funcs := enclosingFuncs(stack)
	if len(funcs) == 0 {
		return
	}
	var named *ast.Ident // the function's named error result, if any
	for _, n := range resultNames(funcs[0]) {
		obj := c.pass.TypesInfo.Defs[n]
		if obj == target {
			return
		}
		if named == nil && types.Identical(obj.Type(), errorType) {
			named = n
		}
	}
	call := id.Name + "(&" + x.Name + ")"
	switch {
	case named != nil && named.Name == x.Name:
		c.reportRangef(d, "defer %s: this %s is declared inside the function and shadows the named result, so the error the function returns never reaches Exit: "+
			"assign the named result %s with = instead of declaring a new one with :=", call, x.Name, named.Name)
	case named != nil:
		c.reportRangef(d, "defer %s: %s is not the function's named result %s, so the error the function returns never reaches Exit: defer %s(&%s)",
			call, x.Name, named.Name, id.Name, named.Name)
	case isResultOf(c.pass.TypesInfo, target, funcs[1:]):
		c.reportRangef(d, "defer %s: %s is a result of an enclosing function, not of the function literal that defers %s, so what the literal returns never reaches Exit: "+
			"give the literal a named error result, as in func() (err error), and defer %s(&err)", call, x.Name, id.Name, id.Name)
	default:
		c.reportRangef(d, "defer %s: %s is not a named result, so what the function returns never reaches Exit, which sees %s as it is at that point (usually nil): "+
			"name the error result, as in func f() (err error), and defer %s(&err)", call, x.Name, x.Name, id.Name)
	}
}

// deferredLit reports calls of exit functions made in the body of a
// deferred function literal: the exit function recovers a panic in the
// body only when it is itself the deferred call.
func (c *checker) deferredLit(lit *ast.FuncLit) {
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false // a literal of its own, deferred or not
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		id, ok := ast.Unparen(call.Fun).(*ast.Ident)
		if !ok {
			return true
		}
		if v, ok := c.pass.TypesInfo.Uses[id].(*types.Var); ok && c.exits[v] != nil {
			c.reportRangef(call, "%s is called inside a deferred function literal, so a panic in the body never reaches Exit "+
				"(recover works only in the deferred function itself): defer %s(&err) directly", id.Name, id.Name)
		}
		return true
	})
}

var errorType = types.Universe.Lookup("error").Type()

// enclosingFuncs returns the types of the functions in stack, innermost
// first.
func enclosingFuncs(stack []ast.Node) []*ast.FuncType {
	var funcs []*ast.FuncType
	for i := len(stack) - 1; i >= 0; i-- {
		switch f := stack[i].(type) {
		case *ast.FuncDecl:
			funcs = append(funcs, f.Type)
		case *ast.FuncLit:
			funcs = append(funcs, f.Type)
		}
	}
	return funcs
}

// resultNames returns the names of ft's named results, except _.
func resultNames(ft *ast.FuncType) []*ast.Ident {
	if ft.Results == nil {
		return nil
	}
	var names []*ast.Ident
	for _, f := range ft.Results.List {
		for _, n := range f.Names {
			if n.Name != "_" {
				names = append(names, n)
			}
		}
	}
	return names
}

// isResultOf reports whether obj is a named result of one of funcs.
func isResultOf(info *types.Info, obj types.Object, funcs []*ast.FuncType) bool {
	for _, ft := range funcs {
		for _, n := range resultNames(ft) {
			if info.Defs[n] == obj {
				return true
			}
		}
	}
	return false
}

// rangeStmt reports a range over a sequence of (value, error) pairs from
// the package that does not take the error.
func (c *checker) rangeStmt(r *ast.RangeStmt) {
	if r.Value != nil {
		return // v, err := range, or v, _ := range, which drops it on purpose
	}
	x := ast.Unparen(r.X)
	from := ""
	switch x := x.(type) {
	case *ast.CallExpr:
		// The package's sequences, and any call that returns one of the
		// same shape, such as a syncgen façade's producer.
		if !isErrSeq2(c.pass.TypesInfo.TypeOf(x)) {
			return
		}
		from = types.ExprString(x.Fun) + "(...)"
	case *ast.Ident:
		v, ok := c.pass.TypesInfo.Uses[x].(*types.Var)
		if !ok || !c.seqs[v] {
			return
		}
		from = x.Name
	default:
		return
	}
	msg := "range over " + from + " with one variable drops the error that ends the sequence, and yields its zero value as an item: " +
		"for v, err := range " + from + " and check err"
	if r.Key == nil {
		msg = "range over " + from + " with no variables drops the error that ends the sequence: " +
			"for _, err := range " + from + " and check err"
	}
	c.report(analysis.Diagnostic{Pos: r.For, End: r.X.End(), Message: msg})
}
