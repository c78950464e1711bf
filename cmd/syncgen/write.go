package main

import (
	"bytes"
	"fmt"
	"go/types"
	"strings"
)

// writer writes the body of the generated file, after the imports.
type writer struct {
	g       *gen
	b       *bytes.Buffer
	sy, ctx string // the names of the library and of package context
	iter    string // package iter's name, if producers need it
	sync    string // package sync's name, if the family or the hold needs it
	atomic  string // package sync/atomic's name, if the hold needs it
	errors  string // package errors' name, if the hold needs it
	weak    string // package weak's name, if the family holds façades weakly
	runtime string // package runtime's name, with weak
	cm      bool   // the impl is a context manager, so the façade has a hold
	fam     bool   // results are translated, so façades keep a family
	unwrap  bool   // arguments are translated
	locals  map[*method]locals
}

func (w *writer) p(format string, args ...any) { fmt.Fprintf(w.b, format+"\n", args...) }

// prepare registers every import and picks parameter names before any
// code is written, so that names and imports cannot clash.
func (w *writer) prepare() {
	g := w.g
	for _, m := range g.ms {
		for _, p := range m.params {
			g.typeStr(p.typ, p.self)
			w.unwrap = w.unwrap || p.self
		}
		for _, r := range m.results {
			g.typeStr(r.typ, r.self)
			w.fam = w.fam || r.self
		}
		if isCloser(m) {
			w.errors = g.importName("errors", "errors")
		}
		if m.shape == shapeProducer {
			g.typeStr(m.elem.typ, m.elem.self)
			w.fam = w.fam || m.elem.self
			w.iter = g.importName("iter", "iter")
		}
	}
	if g.cm != nil {
		w.cm = true
		w.fam = w.fam || g.cmSelf
		w.atomic = g.importName("sync/atomic", "atomic")
		if g.cmSelf {
			w.errors = g.importName("errors", "errors")
		}
	}
	if w.fam || w.cm {
		w.sync = g.importName("sync", "sync")
	}
	if w.fam && g.weak {
		w.weak = g.importName("weak", "weak")
		w.runtime = g.importName("runtime", "runtime")
	}
	g.recv = g.receiver()
	w.locals = map[*method]locals{}
	for _, m := range g.ms {
		w.locals[m] = g.localsOf(m)
	}
}

// facade writes the façade type, its constructor and its family.
func (w *writer) facade() {
	g := w.g
	F, T := g.name, g.typ
	if doc := g.typeDoc(); len(doc) > 0 {
		// The impl's own doc, naming the façade where it starts with the
		// impl's name, as a type's doc does; then what the façade adds.
		if rest, ok := strings.CutPrefix(doc[0], "// "+T+" "); ok {
			doc[0] = "// " + F + " " + rest
		}
		for _, l := range doc {
			w.p("%s", l)
		}
		w.p("//")
	}
	w.p("// %s runs the methods of *%s on a [%s.Loop]: every call is a", F, T, w.sy)
	w.p("// task of the loop, so on a serial loop ([%s.Serial]) one *%s", w.sy, T)
	w.p("// that is not safe for concurrent use can be shared by any number of")
	w.p("// goroutines. Make one with [New%s]; [%s.Async] gives the forms that", F, F)
	w.p("// return futures and streams.")
	if w.cm {
		w.p("//")
		w.p("// %s is a [%s.ContextManager], as *%s is, and a use of it", F, w.sy, T)
		w.p("// holds the *%s for its body until Exit: see [%s.Enter].", T, F)
	}
	w.p("type %s struct {", F)
	w.p("loop *%s.Loop", w.sy)
	w.p("impl *%s", T)
	if w.fam {
		w.p("fam *%s", g.familyType())
	}
	if w.cm {
		if g.cmSelf {
			w.p("hold *%s // nil in a %s that Enter returned", g.local("Hold"), F)
			w.p("use *%s // set only in a %s that Enter returned", g.local("Use"), F)
		} else {
			w.p("hold *%s", g.local("Hold"))
		}
	}
	w.p("}\n")
	if g.cm != nil {
		w.p("var _ %s.ContextManager[%s] = (*%s)(nil)\n", w.sy, g.typeStr(g.cm, g.cmSelf), F)
	}
	w.p("// New%s returns the façade of impl, whose methods run impl's as tasks of", F)
	w.p("// loop l (nil means the default loop). It panics if impl is nil.")
	w.p("func New%s(l *%s.Loop, impl *%s) *%s {", F, w.sy, T, F)
	w.p("if impl == nil {")
	w.p("panic(%q)", "New"+F+": nil *"+T)
	w.p("}")
	if w.fam {
		w.family()
	} else {
		if w.cm {
			w.p("return &%s{loop: l, impl: impl, hold: &%s{}}", F, g.local("Hold"))
		} else {
			w.p("return &%s{loop: l, impl: impl}", F)
		}
		w.p("}\n")
	}
	if w.unwrap {
		w.p("// %s returns the *%s behind façade f; nil stays nil.", g.unwrapFunc(), T)
		w.p("func %s(f *%s) *%s {", g.unwrapFunc(), F, T)
		w.p("if f == nil {\nreturn nil\n}")
		w.p("return f.impl")
		w.p("}\n")
	}
	if w.cm {
		w.hold()
	}
}

// family writes the end of the constructor and the family, which keeps
// one façade per *T.
func (w *writer) family() {
	g := w.g
	F, T, fam := g.name, g.typ, g.familyType()
	made := fmt.Sprintf("&%s{loop: l, impl: impl, fam: fam}", F)
	if w.cm {
		made = fmt.Sprintf("&%s{loop: l, impl: impl, fam: fam, hold: &%s{}}", F, g.local("Hold"))
	}
	if w.weak == "" {
		w.p("return (&%s{m: map[*%s]*%s{}}).facade(l, impl)", fam, T, F)
		w.p("}\n")
		w.p("// %s keeps one façade per *%s among the façades that one New%s", fam, T, F)
		w.p("// and the results of their methods make, so that a *%s handed out twice", T)
		w.p("// comes back as the same *%s. It keeps every façade it made while any", F)
		w.p("// of them lives (a module at go1.24 or later gets a family that lets")
		w.p("// go of the façades nobody holds).")
		w.p("type %s struct {", fam)
		w.p("mu %s.Mutex", w.sync)
		w.p("m map[*%s]*%s", T, F)
		w.p("}\n")
		w.p("// facade returns impl's façade in the family, made on loop l the first")
		w.p("// time; nil stays nil.")
		w.p("func (fam *%s) facade(l *%s.Loop, impl *%s) *%s {", fam, w.sy, T, F)
		w.p("if impl == nil {\nreturn nil\n}")
		w.p("fam.mu.Lock()\ndefer fam.mu.Unlock()")
		w.p("f, ok := fam.m[impl]")
		w.p("if !ok {")
		w.p("f = %s", made)
		w.p("fam.m[impl] = f")
		w.p("}")
		w.p("return f")
		w.p("}\n")
		return
	}
	w.p("return (&%s{m: map[%s.Pointer[%s]]%s.Pointer[%s]{}}).facade(l, impl)", fam, w.weak, T, w.weak, F)
	w.p("}\n")
	w.p("// %s keeps one façade per *%s among the façades that one New%s", fam, T, F)
	w.p("// and the results of their methods make, so that a *%s handed out twice", T)
	w.p("// comes back as the same *%s while the first is held. It holds both", F)
	w.p("// weakly, so a façade nobody holds any more leaves it.")
	w.p("type %s struct {", fam)
	w.p("mu %s.Mutex", w.sync)
	w.p("m map[%s.Pointer[%s]]%s.Pointer[%s]", w.weak, T, w.weak, F)
	w.p("}\n")
	w.p("// facade returns impl's façade in the family, made on loop l if it has")
	w.p("// none; nil stays nil.")
	w.p("func (fam *%s) facade(l *%s.Loop, impl *%s) *%s {", fam, w.sy, T, F)
	w.p("if impl == nil {\nreturn nil\n}")
	w.p("key := %s.Make(impl)", w.weak)
	w.p("fam.mu.Lock()\ndefer fam.mu.Unlock()")
	w.p("if f := fam.m[key].Value(); f != nil {\nreturn f\n}")
	w.p("f := %s", made)
	w.p("fam.m[key] = %s.Make(f)", w.weak)
	w.p("%s.AddCleanup(f, fam.forget, key)", w.runtime)
	w.p("return f")
	w.p("}\n")
	w.p("// forget drops the entry of a façade that has been collected, unless")
	w.p("// another took its place.")
	w.p("func (fam *%s) forget(key %s.Pointer[%s]) {", fam, w.weak, T)
	w.p("fam.mu.Lock()\ndefer fam.mu.Unlock()")
	w.p("if fam.m[key].Value() == nil {\ndelete(fam.m, key)\n}")
	w.p("}\n")
}

// doc writes a method's doc comment: the impl's, or a line saying what it
// runs.
func (w *writer) doc(m *method) {
	if len(m.doc) > 0 {
		for _, l := range m.doc {
			w.p("%s", l)
		}
		return
	}
	w.p("// %s runs (*%s).%s as a task of the loop.", m.name, w.g.typ, m.name)
}

// params writes a method's parameter list as the façade declares it, with
// the parameters of one type in a row sharing it, as written by hand.
func (w *writer) params(m *method, ctx bool) string {
	type group struct{ names, typ string }
	var gs []group
	add := func(name, typ string) {
		if k := len(gs) - 1; k >= 0 && gs[k].typ == typ {
			gs[k].names += ", " + name
			return
		}
		gs = append(gs, group{name, typ})
	}
	if ctx {
		add(w.locals[m].ctx, w.ctx+".Context")
	}
	for i, p := range m.params {
		t := w.g.typeStr(p.typ, p.self)
		if p.variadic {
			t = "..." + w.g.typeStr(p.typ.(*types.Slice).Elem(), false)
		}
		add(w.locals[m].params[i], t)
	}
	ps := make([]string, len(gs))
	for i, g := range gs {
		ps[i] = g.names + " " + g.typ
	}
	return strings.Join(ps, ", ")
}

// args writes the arguments of the call to the impl's method.
func (w *writer) args(m *method) string {
	var as []string
	if m.ctx {
		as = append(as, w.locals[m].ctx)
	}
	for i, p := range m.params {
		a := w.locals[m].params[i]
		switch {
		case p.self:
			a = w.g.unwrapFunc() + "(" + a + ")"
		case p.variadic:
			a += "..."
		}
		as = append(as, a)
	}
	return strings.Join(as, ", ")
}

// facadeOf translates expression x, a *T, to its façade.
func (w *writer) facadeOf(x string, self bool) string {
	if !self {
		return x
	}
	f := w.g.recv
	return f + ".fam.facade(" + f + ".loop, " + x + ")"
}

// valueType is what a call's task returns besides the error.
func (w *writer) valueType(m *method) string {
	switch len(m.results) {
	case 0:
		return "struct{}"
	case 1:
		return w.g.typeStr(m.results[0].typ, m.results[0].self)
	}
	return m.result
}

// task writes the function a call runs on the loop.
func (w *writer) task(m *method) string {
	var b strings.Builder
	l := w.locals[m]
	ctx := ""
	if m.ctx {
		ctx = l.ctx + " "
	}
	fmt.Fprintf(&b, "func(%s%s.Context) (%s, error) {\n", ctx, w.ctx, w.valueType(m))
	call := w.g.recv + ".impl." + m.name + "(" + w.args(m) + ")"
	errOrNil := "nil"
	if m.err {
		errOrNil = l.err
	}
	switch n := len(m.results); {
	case n == 0 && m.err:
		fmt.Fprintf(&b, "return struct{}{}, %s\n", call)
	case n == 0:
		fmt.Fprintf(&b, "%s\nreturn struct{}{}, nil\n", call)
	case n == 1 && !m.results[0].self && m.err:
		fmt.Fprintf(&b, "return %s\n", call)
	case n == 1 && m.err:
		fmt.Fprintf(&b, "%[1]s, %[2]s := %[3]s\nreturn %[4]s, %[2]s\n", l.v, l.err, call, w.facadeOf(l.v, true))
	case n == 1:
		fmt.Fprintf(&b, "return %s, nil\n", w.facadeOf(call, m.results[0].self))
	default:
		var vars, fields []string
		for i, r := range m.results {
			vars = append(vars, l.rs[i])
			fields = append(fields, r.field+": "+w.facadeOf(l.rs[i], r.self))
		}
		if m.err {
			vars = append(vars, l.err)
		}
		fmt.Fprintf(&b, "%s := %s\nreturn %s{%s}, %s\n", strings.Join(vars, ", "), call, m.result, strings.Join(fields, ", "), errOrNil)
	}
	b.WriteString("}")
	return b.String()
}

// producer writes the producer a producer method runs on the loop.
func (w *writer) producer(m *method) string {
	elem := w.g.typeStr(m.elem.typ, m.elem.self)
	l := w.locals[m]
	yield := l.yield
	if m.elem.self {
		yield = fmt.Sprintf("func(%s *%s) bool {\nreturn %s(%s)\n}", l.v, w.g.typ, l.yield, w.facadeOf(l.v, true))
	}
	args := w.args(m)
	return fmt.Sprintf("func(%s %s.Context, %s func(%s) bool) error {\nreturn %s.impl.%s(%s, %s)\n}", l.ctx, w.ctx, l.yield, elem, w.g.recv, m.name, args, yield)
}

// blocking writes the façade's method for m.
func (w *writer) blocking(m *method) {
	g := w.g
	f, l := g.recv, w.locals[m]
	w.doc(m)
	switch m.shape {
	case shapeEnter:
		w.enter(m)
		return
	case shapeExit:
		w.exit(m)
		return
	case shapeProducer:
		w.p("func (%s *%s) %s(%s) %s.Seq2[%s, error] {", f, g.name, m.name, w.params(m, true), w.iter, g.typeStr(m.elem.typ, m.elem.self))
		if w.cm {
			w.p("return %s(%s, %s, %s)", g.local("Seq"), l.ctx, f, w.producer(m))
		} else {
			w.p("return %s.Seq(%s, %s.loop, %s)", w.sy, l.ctx, f, w.producer(m))
		}
		w.p("}\n")
		return
	}
	var rs []string
	for _, r := range m.results {
		rs = append(rs, g.typeStr(r.typ, r.self))
	}
	// The façade returns an error even where the impl's method has none:
	// the call may not run, once the loop has closed, and a getter that
	// panicked then would surprise.
	rs = append(rs, "error")
	if !m.ctx && !m.err {
		w.p("//")
		w.p("// Its error says why the call could not run on the loop:")
		w.p("// [%s.ErrClosed] once the loop has closed.", w.sy)
	}
	results := strings.Join(rs, ", ")
	if len(rs) > 1 {
		results = "(" + results + ")"
	}
	w.p("func (%s *%s) %s(%s) %s {", f, g.name, m.name, w.params(m, m.ctx), results)
	ctx := l.ctx
	if !m.ctx {
		ctx = w.ctx + ".Background()"
	}
	call := fmt.Sprintf("%s.Call(%s, %s.loop, %s)", w.sy, ctx, f, w.task(m))
	if w.cm {
		call = fmt.Sprintf("%s(%s, %s, %s)", g.local("Call"), ctx, f, w.task(m))
	}
	var fields []string
	for _, r := range m.results {
		fields = append(fields, l.r+"."+r.field)
	}
	switch n := len(m.results); {
	case isCloser(m):
		// Once the loop has closed, nothing else can use the impl: Close
		// closes it here, after the loop's work has ended.
		w.p("_, %s := %s", l.err, call)
		w.p("if %s.Is(%s, %s.ErrClosed) && %s.loop != nil && %s.loop.Context().Err() != nil {", w.errors, l.err, w.sy, f, f)
		w.p("%s.loop.Close() // waits for the loop's work; idempotent", f)
		w.p("return %s.impl.Close()\n}", f)
		w.p("return %s", l.err)
	case n == 0:
		w.p("_, %[1]s := %[2]s\nreturn %[1]s", l.err, call)
	case n == 1:
		w.p("return %s", call)
	default:
		w.p("%s, %s := %s\nreturn %s, %s", l.r, l.err, call, strings.Join(fields, ", "), l.err)
	}
	w.p("}\n")
}

// isCloser reports whether m is an io.Closer's Close, which the façade
// still runs once its loop has closed.
func isCloser(m *method) bool {
	return m.name == "Close" && m.shape == shapeCall && !m.ctx && len(m.params) == 0 && len(m.results) == 0 && m.err
}

// async writes the async type and the method that returns it.
func (w *writer) async() {
	F := w.g.name
	w.p("// %sAsync holds the async forms of %s's methods: each starts its call", F, F)
	w.p("// as a task of the loop and returns at once, with a future for a call")
	w.p("// and a stream for a producer. Get one from [%s.Async].", F)
	if w.cm {
		w.p("//")
		w.p("// While a use of a %s as a context manager is open, the Async methods", F)
		w.p("// of the %s it was entered through wait for its Exit, or until ctx", F)
		w.p("// ends, before they start their task; those of the %s that Enter", F)
		w.p("// returned start it at once.")
	}
	w.p("type %sAsync %s\n", F, F)
	f := w.g.recv
	w.p("// Async returns the async forms of %s's methods.", f)
	w.p("func (%s *%s) Async() *%sAsync {\nreturn (*%sAsync)(%s)\n}\n", f, F, F, F, f)
}

// asyncMethod writes the async form of m; a context manager's Enter and
// Exit have none.
func (w *writer) asyncMethod(m *method) {
	g := w.g
	F, f, l := g.name, g.recv, w.locals[m]
	switch m.shape {
	case shapeEnter, shapeExit:
		return
	case shapeProducer:
		w.p("// %s is the async form of [%s.%s]: it starts the producer as a task", m.name, F, m.name)
		w.p("// of the loop and returns the stream of its values at once.")
		w.p("func (%s *%sAsync) %s(%s) *%s.Stream[%s] {", f, F, m.name, w.params(m, true), w.sy, g.typeStr(m.elem.typ, m.elem.self))
		if w.cm {
			w.p("return %s(%s, (*%s)(%s), %s)", g.local("Start"), l.ctx, F, f, w.producer(m))
		} else {
			w.p("return %s.Start(%s, %s.loop, %s)", w.sy, l.ctx, f, w.producer(m))
		}
		w.p("}\n")
		return
	}
	w.p("// %s is the async form of [%s.%s]: it starts the call as a task of", m.name, F, m.name)
	w.p("// the loop and returns its future at once.")
	w.p("func (%s *%sAsync) %s(%s) *%s.Future[%s] {", f, F, m.name, w.params(m, true), w.sy, w.valueType(m))
	if w.cm {
		w.p("return %s(%s, (*%s)(%s), %s)", g.local("Go"), l.ctx, F, f, w.task(m))
	} else {
		w.p("return %s.Go(%s, %s.loop, %s)", w.sy, l.ctx, f, w.task(m))
	}
	w.p("}\n")
}

// resultStruct writes the struct that carries m's results in a future.
func (w *writer) resultStruct(m *method) {
	if m.result == "" {
		return
	}
	w.p("// %s holds the results of (*%s).%s, for the future", m.result, w.g.typ, m.name)
	w.p("// of [%sAsync.%s].", w.g.name, m.name)
	w.p("type %s struct {", m.result)
	for _, r := range m.results {
		w.p("%s %s", r.field, w.g.typeStr(r.typ, r.self))
	}
	w.p("}\n")
}

// enter writes the façade's Enter, which holds the impl for the body.
func (w *writer) enter(m *method) {
	g := w.g
	F, T := g.name, g.typ
	r := m.results[0]
	w.p("//")
	if r.self {
		w.p("// Enter holds the *%s for the body until Exit: meanwhile calls", T)
		w.p("// through this %s, and other uses of it, wait for their turn, or until", F)
		w.p("// their ctx ends, while the body calls through the %s that Enter", F)
		w.p("// returns, which fails once Exit has run. A call through this %s from", F)
		w.p("// the body would wait for its own Exit. Enter waits for calls under")
		w.p("// way, and for an open use to end, or until ctx ends.")
	} else {
		w.p("// Enter holds the *%s for the body until Exit: meanwhile calls", T)
		w.p("// through this %s, and other uses of it, wait for their turn, or until", F)
		w.p("// their ctx ends, so the body must not call it: it would wait for its")
		w.p("// own Exit. Enter waits for calls under way, and for an open use to")
		w.p("// end, or until ctx ends.")
	}
	f, l := g.recv, w.locals[m]
	w.p("func (%s *%s) Enter(%s %s.Context) (%s, error) {", f, F, l.ctx, w.ctx, g.typeStr(r.typ, r.self))
	if r.self {
		w.p("if %s.use != nil {", f)
		w.p("return nil, %s.New(%q)", w.errors, F+".Enter: called on the "+F+" that Enter returned; uses do not nest")
		w.p("}")
		w.p("%s, %s, %s := %s.hold.enter(%s, %s.loop, %s.impl)", l.u, l.v, l.err, f, l.ctx, f, f)
		w.p("if %[1]s != nil {\nreturn nil, %[1]s\n}", l.err)
		w.p("return &%s{loop: %s.loop, impl: %s, fam: %s.fam, use: %s}, nil", F, f, l.v, f, l.u)
	} else {
		w.p("_, %s, %s := %s.hold.enter(%s, %s.loop, %s.impl)", l.v, l.err, f, l.ctx, f, f)
		w.p("return %s, %s", l.v, l.err)
	}
	w.p("}\n")
}

// exit writes the façade's Exit, which ends the use that holds the impl.
func (w *writer) exit(m *method) {
	g := w.g
	f, l := g.recv, w.locals[m]
	err := l.params[0]
	w.p("//")
	if g.cmSelf {
		w.p("// Exit ends the use that holds the *%s, called on the %s that Enter", g.typ, g.name)
		w.p("// was called on or on the one it returned, and lets the next caller in.")
	} else {
		w.p("// Exit ends the use that holds the *%s and lets the next caller in.", g.typ)
	}
	w.p("func (%s *%s) Exit(%s %s.Context, %s error) error {", f, g.name, l.ctx, w.ctx, err)
	if g.cmSelf {
		w.p("%s := %s.use", l.u, f)
		w.p("if %[1]s == nil {\n%[1]s = %[2]s.hold.entered()\n}", l.u, f)
		w.p("return %s.exit(%s, %s)", l.u, l.ctx, err)
	} else {
		w.p("return %s.hold.entered().exit(%s, %s)", f, l.ctx, err)
	}
	w.p("}\n")
}
