package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"go/version"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/tools/go/packages"
)

const libPath = "github.com/synchronicity-go/synchronicity"

// config is what the flags ask for.
type config struct {
	pattern string // the package to load
	typ     string // the impl type
	name    string // the façade's name; empty for the default
	output  string // the file to write; empty for the default
	// unexported wraps the impl's unexported methods too; by default the
	// façade has only the exported ones.
	unexported bool
}

// result is a generated file and the methods left out of it.
type result struct {
	path     string
	src      []byte
	warnings []string
}

// The shapes of a method.
type shape int

const (
	shapeCall     shape = iota // M(ctx?, args...) (results..., error?)
	shapeProducer              // M(ctx, args..., yield func(E) bool) error
	shapeEnter                 // Enter(ctx) (V, error), with a matching Exit
	shapeExit                  // Exit(ctx, error) error, with a matching Enter
)

// param is one argument of a method, ctx and yield excepted.
type param struct {
	name     string
	typ      types.Type // the impl's type; for a variadic one, the slice
	variadic bool
	self     bool // *T, translated to *F
}

// value is one non-error result, or a producer's element.
type value struct {
	field string // its field in a result struct
	typ   types.Type
	self  bool
}

// method is one method of the impl, classified.
type method struct {
	name    string
	doc     []string // the impl's doc comment, line by line
	shape   shape
	ctx     bool   // takes a context.Context first
	ctxName string // what the impl calls it, if anything
	recv    string // what the impl calls its receiver, if anything
	params  []param
	results []value // non-error results
	err     bool    // ends in an error result
	elem    value   // a producer's element
	result  string  // the result struct's name, for two or more results
}

// generate loads the package, reads the impl type's methods and returns
// the façade's source.
func generate(c config) (*result, error) {
	if !token.IsIdentifier(c.typ) {
		return nil, fmt.Errorf("-type=%q is not a Go identifier", c.typ)
	}
	name := c.name
	if name == "" {
		name = upperFirst(c.typ)
		if name == c.typ {
			return nil, fmt.Errorf("-name is required: the default façade name (-type with its first letter upper-cased) would be %s itself", c.typ)
		}
	}
	if !token.IsIdentifier(name) {
		return nil, fmt.Errorf("-name=%q is not a Go identifier", name)
	}
	if name == c.typ {
		return nil, fmt.Errorf("-name=%s: the façade needs a name other than the type's", name)
	}
	pkg, path, err := load(c)
	if err != nil {
		return nil, err
	}
	obj := pkg.Types.Scope().Lookup(c.typ)
	if obj == nil {
		return nil, fmt.Errorf("package %s has no type %s%s", pkg.PkgPath, c.typ, loadErrors(pkg))
	}
	tn, ok := obj.(*types.TypeName)
	if !ok {
		return nil, fmt.Errorf("%s in package %s is a %s, not a type", c.typ, pkg.PkgPath, kindOf(obj))
	}
	if tn.IsAlias() {
		return nil, fmt.Errorf("%s is an alias; name the type it stands for", c.typ)
	}
	named, ok := tn.Type().(*types.Named)
	if !ok {
		return nil, fmt.Errorf("%s is not a defined type", c.typ)
	}
	if named.TypeParams().Len() > 0 {
		return nil, fmt.Errorf("%s is generic: syncgen does not wrap generic types; declare a non-generic type for the instance you need (type intConn struct{ *conn[int] } with methods that call it) and wrap that", c.typ)
	}
	if types.IsInterface(named) {
		return nil, fmt.Errorf("%s is an interface: syncgen wraps the methods of a concrete type", c.typ)
	}
	if named.NumMethods() == 0 {
		return nil, fmt.Errorf("type %s has no methods to wrap (syncgen wraps the methods declared on %s and *%s)", c.typ, c.typ, c.typ)
	}
	g := &gen{
		pkg:        pkg,
		named:      named,
		typ:        c.typ,
		name:       name,
		flagName:   c.name,
		unexported: c.unexported,
		imports:    map[string]string{},
		byName:     map[string]string{},
		// A family holds its façades weakly where the package's module
		// allows package weak; before go1.24 it keeps them all.
		weak: pkg.Module != nil && pkg.Module.GoVersion != "" && version.Compare("go"+pkg.Module.GoVersion, "go1.24") >= 0,
	}
	if err := g.methods(); err != nil {
		return nil, err
	}
	if len(g.ms) == 0 {
		return &result{warnings: g.warnings}, fmt.Errorf("no method of %s fits a shape syncgen wraps:\n\t%s", c.typ, strings.Join(g.warnings, "\n\t"))
	}
	if err := g.checkNames(); err != nil {
		return nil, err
	}
	src, err := g.file()
	if err != nil {
		return nil, err
	}
	return &result{path: path, src: src, warnings: g.warnings}, nil
}

// load loads the package with the output file, if it exists, reduced to its
// package clause: a stale façade must not stop its own regeneration.
func load(c config) (*packages.Package, string, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedModule,
	}
	// A first, light load finds the package's directory.
	light := *cfg
	light.Mode = packages.NeedName | packages.NeedFiles
	pkgs, err := packages.Load(&light, c.pattern)
	if err != nil {
		return nil, "", fmt.Errorf("loading %s: %v", c.pattern, err)
	}
	if len(pkgs) != 1 {
		return nil, "", fmt.Errorf("%s matches %d packages; name one", c.pattern, len(pkgs))
	}
	if len(pkgs[0].GoFiles) == 0 {
		return nil, "", fmt.Errorf("package %s: no Go files%s", c.pattern, loadErrors(pkgs[0]))
	}
	dir := filepath.Dir(pkgs[0].GoFiles[0])
	out := c.output
	if out == "" {
		out = filepath.Join(dir, strings.ToLower(c.typ)+"_syncgen.go")
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return nil, "", err
	}
	if f, err := parser.ParseFile(token.NewFileSet(), out, nil, parser.PackageClauseOnly); err == nil {
		cfg.Overlay = map[string][]byte{out: []byte("package " + f.Name.Name + "\n")}
	}
	pkgs, err = packages.Load(cfg, c.pattern)
	if err != nil {
		return nil, "", fmt.Errorf("loading %s: %v", c.pattern, err)
	}
	if len(pkgs) != 1 || pkgs[0].Types == nil {
		return nil, "", fmt.Errorf("loading %s: no package", c.pattern)
	}
	return pkgs[0], out, nil
}

// loadErrors describes a package's load errors, which may be why a type is
// missing. Others are ignored: code that uses the façade does not compile
// while the façade is being regenerated.
func loadErrors(p *packages.Package) string {
	if len(p.Errors) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("; the package has errors:")
	for i, e := range p.Errors {
		if i == 5 {
			b.WriteString("\n\t...")
			break
		}
		b.WriteString("\n\t" + e.Error())
	}
	return b.String()
}

func kindOf(obj types.Object) string {
	switch obj.(type) {
	case *types.Func:
		return "function"
	case *types.Var:
		return "variable"
	case *types.Const:
		return "constant"
	}
	return "name"
}

// gen holds what one run has learned.
type gen struct {
	pkg        *packages.Package
	named      *types.Named
	typ        string
	name       string
	flagName   string // -name as given, for the header
	unexported bool
	ms         []*method
	cm         types.Type // the value a context manager's Enter returns
	cmSelf     bool
	warnings   []string
	imports    map[string]string // path → name in the generated file
	byName     map[string]string // name → path
	recv       string            // the façade's receiver, see receiver
	weak       bool              // the family may use package weak
	others     map[string]string // see otherFacades
}

// methods classifies the impl's declared methods, in name order.
func (g *gen) methods() error {
	docs := g.docs()
	var enter, exit *method
	for i := range g.named.NumMethods() {
		fn := g.named.Method(i)
		if !fn.Exported() && !g.unexported {
			continue // the impl's own helpers, unless -unexported
		}
		sig := fn.Type().(*types.Signature)
		if err := g.checkValid(fn, sig); err != nil {
			return err
		}
		m, why := g.classify(fn.Name(), sig)
		if m == nil {
			g.warnings = append(g.warnings, fmt.Sprintf("(*%s).%s left out: %s", g.typ, fn.Name(), why))
			continue
		}
		m.doc = docs[fn]
		g.warnOthers(fn.Name(), sig)
		switch m.shape {
		case shapeEnter:
			enter = m
		case shapeExit:
			exit = m
		}
		g.ms = append(g.ms, m)
	}
	// Enter and Exit are a context manager only as a pair; alone, each is
	// an ordinary call.
	if enter != nil && exit != nil {
		g.cm = enter.results[0].typ
		g.cmSelf = enter.results[0].self
		ms := g.ms[:0]
		for _, m := range g.ms {
			if why, ok := reservedCM[m.name]; ok {
				g.warnings = append(g.warnings, fmt.Sprintf("(*%s).%s left out: %s", g.typ, m.name, why))
				continue
			}
			ms = append(ms, m)
		}
		g.ms = ms
	} else {
		for _, m := range []*method{enter, exit} {
			if m != nil {
				m.shape = shapeCall
			}
		}
	}
	sort.Slice(g.ms, func(i, j int) bool { return g.ms[i].name < g.ms[j].name })
	return nil
}

// warnOthers warns when method name takes or returns a pointer to
// another type of the package that has a façade of its own: that value is
// handed over as it is, and calls on it would not run on the loop.
func (g *gen) warnOthers(name string, sig *types.Signature) {
	others := g.otherFacades()
	for _, tup := range []*types.Tuple{sig.Params(), sig.Results()} {
		for i := range tup.Len() {
			if mentions(tup.At(i).Type(), func(t types.Type) bool {
				p, ok := t.(*types.Pointer)
				if !ok {
					return false
				}
				n, ok := p.Elem().(*types.Named)
				if !ok || n.Obj().Pkg() != g.pkg.Types || n.Obj().Name() == g.typ {
					return false
				}
				f, ok := others[n.Obj().Name()]
				if ok {
					g.warnings = append(g.warnings, fmt.Sprintf("(*%s).%s hands over *%s unwrapped, though the package has its façade %s: calls on it would run off the loop; take or return the *%s façade (New%s wraps a *%s) instead", g.typ, name, n.Obj().Name(), f, f, f, n.Obj().Name()))
				}
				return ok
			}) {
				return
			}
		}
	}
}

// otherFacades returns the impl types of the package's other generated
// façades, by the header syncgen writes, mapped to the façades' names.
func (g *gen) otherFacades() map[string]string {
	if g.others != nil {
		return g.others
	}
	g.others = map[string]string{}
	for _, f := range g.pkg.Syntax {
		if len(f.Comments) == 0 {
			continue
		}
		text := f.Comments[0].Text()
		args, ok := strings.CutPrefix(text, "Code generated by \"syncgen ")
		if !ok {
			continue
		}
		args, _, _ = strings.Cut(args, "\"")
		var typ, name string
		for _, a := range strings.Fields(args) {
			if v, ok := strings.CutPrefix(a, "-type="); ok {
				typ = v
			} else if v, ok := strings.CutPrefix(a, "-name="); ok {
				name = v
			}
		}
		if typ != "" && typ != g.typ {
			if name == "" {
				name = upperFirst(typ)
			}
			g.others[typ] = name
		}
	}
	return g.others
}

// checkValid refuses a method whose signature did not type-check.
func (g *gen) checkValid(fn *types.Func, sig *types.Signature) error {
	bad := false
	for _, tup := range []*types.Tuple{sig.Params(), sig.Results()} {
		for i := 0; i < tup.Len(); i++ {
			if mentions(tup.At(i).Type(), func(t types.Type) bool {
				b, ok := t.(*types.Basic)
				return ok && b.Kind() == types.Invalid
			}) {
				bad = true
			}
		}
	}
	if bad {
		return fmt.Errorf("(*%s).%s has a type that does not compile%s", g.typ, fn.Name(), loadErrors(g.pkg))
	}
	return nil
}

// typeDoc returns the impl type's doc comment, line by line, or nil.
func (g *gen) typeDoc() []string {
	for _, f := range g.pkg.Syntax {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if ts.Name.Name != g.typ {
					continue
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				if doc == nil {
					return nil
				}
				var lines []string
				for _, c := range doc.List {
					lines = append(lines, c.Text)
				}
				return lines
			}
		}
	}
	return nil
}

// docs finds the doc comment of each declared method.
func (g *gen) docs() map[types.Object][]string {
	out := map[types.Object][]string{}
	for _, f := range g.pkg.Syntax {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Doc == nil {
				continue
			}
			obj := g.pkg.TypesInfo.Defs[fd.Name]
			if obj == nil {
				continue
			}
			var lines []string
			for _, c := range fd.Doc.List {
				lines = append(lines, c.Text)
			}
			out[obj] = lines
		}
	}
	return out
}

// reserved are the façade's own method and field names.
var reserved = map[string]string{
	"Async": "the façade's Async method has that name",
	"loop":  "the façade has a field of that name",
	"impl":  "the façade has a field of that name",
	"fam":   "the façade has a field of that name",
}

// reservedCM are the names of the fields a context manager's façade adds.
var reservedCM = map[string]string{
	"hold": "the façade of a context manager has a field of that name",
	"use":  "the façade of a context manager has a field of that name",
}

// classify works out a method's shape, or why it has none.
func (g *gen) classify(name string, sig *types.Signature) (*method, string) {
	if why, ok := reserved[name]; ok {
		return nil, why
	}
	m := &method{name: name}
	ps, rs := sig.Params(), sig.Results()
	n := ps.Len()
	first := 0
	if n > 0 && isContext(ps.At(0).Type()) {
		m.ctx, m.ctxName = true, ps.At(0).Name()
		first = 1
	}
	if r := sig.Recv(); r != nil {
		m.recv = r.Name()
	}
	for i := first; i < n; i++ {
		if isContext(ps.At(i).Type()) {
			return nil, "its context.Context is not its first parameter"
		}
	}
	last := n
	if m.ctx && n > 1 {
		if elem, ok := yieldOf(ps.At(n - 1).Type()); ok && !sig.Variadic() {
			if rs.Len() != 1 || !isError(rs.At(0).Type()) {
				return nil, "it ends in yield func(T) bool but does not return just error, as a producer does"
			}
			m.shape = shapeProducer
			m.elem = value{typ: elem}
			if isSelf(elem, g.named) {
				m.elem.self = true
			} else if g.inside(elem) {
				return nil, g.insideWhy(elem)
			}
			last = n - 1
		}
	}
	for i := first; i < last; i++ {
		v := ps.At(i)
		p := param{name: v.Name(), typ: v.Type(), variadic: sig.Variadic() && i == n-1}
		if isSelf(p.typ, g.named) {
			p.self = true
		} else if g.inside(p.typ) {
			return nil, g.insideWhy(p.typ)
		}
		m.params = append(m.params, p)
	}
	if m.shape == shapeProducer {
		return m, ""
	}
	nr := rs.Len()
	if nr > 0 && isError(rs.At(nr-1).Type()) {
		m.err = true
		nr--
	}
	for i := range nr {
		v := rs.At(i)
		r := value{field: v.Name(), typ: v.Type()}
		if isSelf(r.typ, g.named) {
			r.self = true
		} else if g.inside(r.typ) {
			return nil, g.insideWhy(r.typ)
		}
		m.results = append(m.results, r)
	}
	if len(m.results) > 1 {
		m.result = g.name + upperFirst(name) + "Result"
		fields := map[string]bool{}
		for _, r := range m.results {
			f := upperFirst(r.field)
			if r.field == "" || r.field == "_" || fields[f] {
				fields = nil
				break
			}
			fields[f] = true
		}
		for i := range m.results {
			if fields == nil {
				m.results[i].field = "V" + strconv.Itoa(i)
			} else {
				m.results[i].field = upperFirst(m.results[i].field)
			}
		}
	}
	switch {
	case name == "Enter" && m.ctx && len(m.params) == 0 && len(m.results) == 1 && m.err:
		m.shape = shapeEnter
	case name == "Exit" && m.ctx && len(m.params) == 1 && isError(m.params[0].typ) && len(m.results) == 0 && m.err:
		m.shape = shapeExit
	}
	return m, ""
}

// inside reports whether t mentions the impl type other than as *T.
func (g *gen) inside(t types.Type) bool {
	return mentions(t, func(t types.Type) bool { return types.Identical(t, g.named) })
}

func (g *gen) insideWhy(t types.Type) string {
	return fmt.Sprintf("its type %s holds %s, which the façade would hand out unwrapped; only *%s itself is translated", types.TypeString(t, types.RelativeTo(g.pkg.Types)), g.typ, g.typ)
}

// mentions reports whether match holds for t or any type t is built from
// (not looking into the definitions of named types).
func mentions(t types.Type, match func(types.Type) bool) bool {
	if match(t) {
		return true
	}
	switch t := types.Unalias(t).(type) {
	case *types.Pointer:
		return mentions(t.Elem(), match)
	case *types.Slice:
		return mentions(t.Elem(), match)
	case *types.Array:
		return mentions(t.Elem(), match)
	case *types.Chan:
		return mentions(t.Elem(), match)
	case *types.Map:
		return mentions(t.Key(), match) || mentions(t.Elem(), match)
	case *types.Signature:
		return mentions(t.Params(), match) || mentions(t.Results(), match)
	case *types.Tuple:
		for i := 0; i < t.Len(); i++ {
			if mentions(t.At(i).Type(), match) {
				return true
			}
		}
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			if mentions(t.Field(i).Type(), match) {
				return true
			}
		}
	case *types.Named:
		for i := 0; i < t.TypeArgs().Len(); i++ {
			if mentions(t.TypeArgs().At(i), match) {
				return true
			}
		}
	}
	return false
}

func isSelf(t types.Type, named *types.Named) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && types.Identical(p.Elem(), named)
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

var errorType = types.Universe.Lookup("error").Type()

func isError(t types.Type) bool { return types.Identical(t, errorType) }

// yieldOf returns E if t is func(E) bool.
func yieldOf(t types.Type) (types.Type, bool) {
	s, ok := types.Unalias(t).(*types.Signature)
	if !ok || s.Params().Len() != 1 || s.Results().Len() != 1 || s.Variadic() {
		return nil, false
	}
	b, ok := s.Results().At(0).Type().Underlying().(*types.Basic)
	if !ok || b.Kind() != types.Bool || !types.Identical(s.Results().At(0).Type(), types.Typ[types.Bool]) {
		return nil, false
	}
	return s.Params().At(0).Type(), true
}

// The package-level names the file declares.
func (g *gen) declared() []string {
	names := []string{g.name, "New" + g.name, g.name + "Async", g.familyType(), g.unwrapFunc()}
	if g.cm != nil {
		names = append(names, g.local("Hold"), g.local("Use"))
		if g.cmSelf {
			names = append(names, g.local("Turn"))
		}
		if g.has(shapeCall) {
			names = append(names, g.local("Call"), g.local("Go"))
		}
		if g.has(shapeProducer) {
			names = append(names, g.local("Seq"), g.local("Start"))
		}
	}
	for _, m := range g.ms {
		if m.result != "" {
			names = append(names, m.result)
		}
	}
	return names
}

func (g *gen) familyType() string { return g.local("Family") }
func (g *gen) unwrapFunc() string { return "unwrap" + g.name }

// local names one of the file's unexported declarations after the façade.
func (g *gen) local(suffix string) string { return lowerFirst(g.name) + suffix }

// has reports whether a method has shape s.
func (g *gen) has(s shape) bool {
	for _, m := range g.ms {
		if m.shape == s {
			return true
		}
	}
	return false
}

// checkNames fails if a name the file declares is taken.
func (g *gen) checkNames() error {
	seen := map[string]bool{}
	for _, n := range g.declared() {
		if seen[n] {
			return fmt.Errorf("the façade would declare %s twice; rename a method or choose another -name", n)
		}
		seen[n] = true
		if n == g.typ {
			return fmt.Errorf("the façade would declare %s, the name of the type it wraps; choose another -name", n)
		}
		if obj := g.pkg.Types.Scope().Lookup(n); obj != nil {
			return fmt.Errorf("the façade would declare %s, but %s already declares it; choose another -name", n, g.pkg.Fset.Position(obj.Pos()))
		}
	}
	return nil
}

// qualify names a type's package in the generated file, adding its import.
func (g *gen) qualify(p *types.Package) string {
	if p == g.pkg.Types {
		return ""
	}
	return g.importName(p.Path(), p.Name())
}

func (g *gen) importName(path, name string) string {
	if n, ok := g.imports[path]; ok {
		return n
	}
	n := name
	for i := 2; g.byName[n] != "" || g.pkg.Types.Scope().Lookup(n) != nil; i++ {
		n = name + strconv.Itoa(i)
	}
	g.imports[path], g.byName[n] = n, path
	return n
}

// typeStr writes t as the façade sees it: *T becomes *F.
func (g *gen) typeStr(t types.Type, self bool) string {
	if self {
		return "*" + g.name
	}
	return types.TypeString(t, g.qualify)
}

// taken returns the names a name in a façade's method must not be: the
// packages and declarations the generated code refers to.
func (g *gen) taken() map[string]bool {
	used := map[string]bool{}
	for n := range g.byName {
		used[n] = true
	}
	for _, n := range []string{"context", "iter", "synchronicity", "sync", "atomic", "errors"} {
		used[n] = true
	}
	for _, n := range g.declared() { // the closures name the façade's types
		used[n] = true
	}
	return used
}

// free reports whether n can name a local of a façade's method.
func (g *gen) free(n string, used map[string]bool) bool {
	return n != "" && n != "_" && !used[n] && g.pkg.Types.Scope().Lookup(n) == nil && types.Universe.Lookup(n) == nil
}

// fresh returns the first free name of names, or else the first with a
// number after it, and marks it used.
func (g *gen) fresh(used map[string]bool, names ...string) string {
	n := ""
	for _, c := range names {
		if g.free(c, used) {
			n = c
			break
		}
	}
	for i := 2; n == ""; i++ {
		if c := names[0] + strconv.Itoa(i); g.free(c, used) {
			n = c
		}
	}
	used[n] = true
	return n
}

// receiver picks the name of the façade's receiver: the impl's, so that
// the docs copied from the impl read right, unless a parameter or
// something the generated code names has it.
func (g *gen) receiver() string {
	used := g.taken()
	for _, m := range g.ms {
		used[m.ctxName] = true
		for _, p := range m.params {
			used[p.name] = true
		}
	}
	for _, m := range g.ms {
		if m.recv != "" && m.recv != "_" && g.free(m.recv, used) {
			return m.recv
		}
	}
	return g.fresh(used, "f")
}

// locals are the names a façade's method uses besides the receiver: its
// parameters, the impl's where they are free, and the generated code's
// own, picked so as not to clash with them.
type locals struct {
	params                   []string
	ctx, err, v, r, yield, u string
	rs                       []string // r0, r1, ... for several results
}

// localsOf picks m's names.
func (g *gen) localsOf(m *method) locals {
	used := g.taken()
	used[g.recv] = true
	var l locals
	l.params = make([]string, len(m.params))
	for i, p := range m.params { // the impl's names first: they are the API
		if g.free(p.name, used) {
			l.params[i] = p.name
			used[p.name] = true
		}
	}
	for i := range l.params {
		if l.params[i] == "" {
			l.params[i] = g.fresh(used, "arg"+strconv.Itoa(i))
		}
	}
	l.ctx = "ctx"
	if g.free(m.ctxName, used) {
		l.ctx = m.ctxName
		used[l.ctx] = true
	} else {
		l.ctx = g.fresh(used, "ctx")
	}
	for i := range m.results {
		l.rs = append(l.rs, g.fresh(used, "r"+strconv.Itoa(i)))
	}
	l.err, l.v, l.r = g.fresh(used, "err", "e"), g.fresh(used, "v", "val"), g.fresh(used, "r", "res")
	l.yield, l.u = g.fresh(used, "yield", "emit"), g.fresh(used, "u", "use")
	return l
}

// file writes the whole generated file.
func (g *gen) file() ([]byte, error) {
	// The library and context are imported under their own names; other
	// packages find their names while the body is written.
	sy := g.importName(libPath, "synchronicity")
	ctxPkg := g.importName("context", "context")
	var body bytes.Buffer
	w := &writer{g: g, b: &body, sy: sy, ctx: ctxPkg}
	w.prepare()
	w.facade()
	for _, m := range g.ms {
		w.blocking(m)
	}
	w.async()
	for _, m := range g.ms {
		w.asyncMethod(m)
	}
	for _, m := range g.ms {
		w.resultStruct(m)
	}

	var out bytes.Buffer
	// The command that made the file, as stringer records it; the package
	// and output arguments are left out, since they may be paths of the
	// machine that ran it.
	cmdline := "syncgen -type=" + g.typ
	if g.flagName != "" {
		cmdline += " -name=" + g.flagName
	}
	if g.unexported {
		cmdline += " -unexported"
	}
	fmt.Fprintf(&out, "// Code generated by \"%s\"; DO NOT EDIT.\n// To change it, change %s's methods and run go generate.\n\n", cmdline, g.typ)
	fmt.Fprintf(&out, "package %s\n\nimport (\n", g.pkg.Types.Name())
	paths := make([]string, 0, len(g.imports))
	for p := range g.imports {
		paths = append(paths, p)
	}
	// The standard library first, then the rest, as goimports groups them.
	std := func(p string) bool { return !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }
	sort.Slice(paths, func(i, j int) bool {
		if std(paths[i]) != std(paths[j]) {
			return std(paths[i])
		}
		return paths[i] < paths[j]
	})
	for i, p := range paths {
		if i > 0 && std(paths[i-1]) != std(p) {
			out.WriteString("\n")
		}
		n := g.imports[p]
		if n == lastElem(p) {
			fmt.Fprintf(&out, "\t%q\n", p)
		} else {
			fmt.Fprintf(&out, "\t%s %q\n", n, p)
		}
	}
	out.WriteString(")\n\n")
	out.Write(body.Bytes())
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the generated code (a bug in syncgen): %v\n%s", err, out.Bytes())
	}
	return format.Source(reflow(src))
}

func lastElem(path string) string { return path[strings.LastIndex(path, "/")+1:] }

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// lowerFirst lower-cases a name's leading initialism or letter: DB → db,
// HTTPClient → httpClient, Conn → conn.
func lowerFirst(s string) string {
	rs := []rune(s)
	i := 0
	for i < len(rs) && unicode.IsUpper(rs[i]) {
		i++
	}
	if i > 1 && i < len(rs) {
		i-- // the last capital begins the next word
	}
	for j := 0; j < max(i, 1) && j < len(rs); j++ {
		rs[j] = unicode.ToLower(rs[j])
	}
	return string(rs)
}
