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
	cm      bool   // the impl is a context manager, so the façade has a hold
	fam     bool   // results are translated, so façades keep a family
	unwrap  bool   // arguments are translated
	names   map[*method][]string
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
	w.names = map[*method][]string{}
	for _, m := range g.ms {
		w.names[m] = g.paramNames(m)
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
		w.p("return (&%s{m: map[*%s]*%s{}}).facade(l, impl)", g.familyType(), T, F)
		w.p("}\n")
		w.p("// %s keeps one façade per *%s among the façades that one New%s", g.familyType(), T, F)
		w.p("// and the results of their methods make, so that a *%s handed out twice", T)
		w.p("// comes back as the same *%s.", F)
		w.p("type %s struct {", g.familyType())
		w.p("mu %s.Mutex", w.sync)
		w.p("m map[*%s]*%s", T, F)
		w.p("}\n")
		w.p("// facade returns impl's façade in the family, made on loop l the first")
		w.p("// time; nil stays nil.")
		w.p("func (fam *%s) facade(l *%s.Loop, impl *%s) *%s {", g.familyType(), w.sy, T, F)
		w.p("if impl == nil {\nreturn nil\n}")
		w.p("fam.mu.Lock()\ndefer fam.mu.Unlock()")
		w.p("f, ok := fam.m[impl]")
		w.p("if !ok {")
		if w.cm {
			w.p("f = &%s{loop: l, impl: impl, fam: fam, hold: &%s{}}", F, g.local("Hold"))
		} else {
			w.p("f = &%s{loop: l, impl: impl, fam: fam}", F)
		}
		w.p("fam.m[impl] = f")
		w.p("}")
		w.p("return f")
		w.p("}\n")
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

// params writes a method's parameter list as the façade declares it.
func (w *writer) params(m *method, ctx bool) string {
	var ps []string
	if ctx {
		ps = append(ps, "ctx "+w.ctx+".Context")
	}
	for i, p := range m.params {
		t := w.g.typeStr(p.typ, p.self)
		if p.variadic {
			t = "..." + w.g.typeStr(p.typ.(*types.Slice).Elem(), false)
		}
		ps = append(ps, w.names[m][i]+" "+t)
	}
	return strings.Join(ps, ", ")
}

// args writes the arguments of the call to the impl's method.
func (w *writer) args(m *method) string {
	var as []string
	if m.ctx {
		as = append(as, "ctx")
	}
	for i, p := range m.params {
		a := w.names[m][i]
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
	return "f.fam.facade(f.loop, " + x + ")"
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
	ctx := ""
	if m.ctx {
		ctx = "ctx "
	}
	fmt.Fprintf(&b, "func(%s%s.Context) (%s, error) {\n", ctx, w.ctx, w.valueType(m))
	call := "f.impl." + m.name + "(" + w.args(m) + ")"
	errOrNil := "nil"
	if m.err {
		errOrNil = "err"
	}
	switch n := len(m.results); {
	case n == 0 && m.err:
		fmt.Fprintf(&b, "return struct{}{}, %s\n", call)
	case n == 0:
		fmt.Fprintf(&b, "%s\nreturn struct{}{}, nil\n", call)
	case n == 1 && !m.results[0].self && m.err:
		fmt.Fprintf(&b, "return %s\n", call)
	case n == 1 && m.err:
		fmt.Fprintf(&b, "v, err := %s\nreturn %s, err\n", call, w.facadeOf("v", true))
	case n == 1:
		fmt.Fprintf(&b, "return %s, nil\n", w.facadeOf(call, m.results[0].self))
	default:
		var vars, fields []string
		for i, r := range m.results {
			v := fmt.Sprintf("r%d", i)
			vars = append(vars, v)
			fields = append(fields, r.field+": "+w.facadeOf(v, r.self))
		}
		if m.err {
			vars = append(vars, "err")
		}
		fmt.Fprintf(&b, "%s := %s\nreturn %s{%s}, %s\n", strings.Join(vars, ", "), call, m.result, strings.Join(fields, ", "), errOrNil)
	}
	b.WriteString("}")
	return b.String()
}

// producer writes the producer a producer method runs on the loop.
func (w *writer) producer(m *method) string {
	elem := w.g.typeStr(m.elem.typ, m.elem.self)
	yield := "yield"
	if m.elem.self {
		yield = fmt.Sprintf("func(v *%s) bool {\nreturn yield(%s)\n}", w.g.typ, w.facadeOf("v", true))
	}
	args := w.args(m)
	return fmt.Sprintf("func(ctx %s.Context, yield func(%s) bool) error {\nreturn f.impl.%s(%s, %s)\n}", w.ctx, elem, m.name, args, yield)
}

// blocking writes the façade's method for m.
func (w *writer) blocking(m *method) {
	g := w.g
	w.doc(m)
	switch m.shape {
	case shapeEnter:
		w.enter(m)
		return
	case shapeExit:
		w.exit()
		return
	case shapeProducer:
		w.p("func (f *%s) %s(%s) %s.Seq2[%s, error] {", g.name, m.name, w.params(m, true), w.iter, g.typeStr(m.elem.typ, m.elem.self))
		if w.cm {
			w.p("return %s(ctx, f, %s)", g.local("Seq"), w.producer(m))
		} else {
			w.p("return %s.Seq(ctx, f.loop, %s)", w.sy, w.producer(m))
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
	w.p("func (f *%s) %s(%s) %s {", g.name, m.name, w.params(m, m.ctx), results)
	ctx := "ctx"
	if !m.ctx {
		ctx = w.ctx + ".Background()"
	}
	call := fmt.Sprintf("%s.Call(%s, f.loop, %s)", w.sy, ctx, w.task(m))
	if w.cm {
		call = fmt.Sprintf("%s(%s, f, %s)", g.local("Call"), ctx, w.task(m))
	}
	var fields []string
	for _, r := range m.results {
		fields = append(fields, "r."+r.field)
	}
	switch n := len(m.results); {
	case isCloser(m):
		// Once the loop has closed, nothing else can use the impl: Close
		// closes it here, after the loop's work has ended.
		w.p("_, err := %s", call)
		w.p("if %s.Is(err, %s.ErrClosed) && f.loop != nil && f.loop.Context().Err() != nil {", w.errors, w.sy)
		w.p("f.loop.Close() // waits for the loop's work; idempotent")
		w.p("return f.impl.Close()\n}")
		w.p("return err")
	case n == 0:
		w.p("_, err := %s\nreturn err", call)
	case n == 1:
		w.p("return %s", call)
	default:
		w.p("r, err := %s\nreturn %s, err", call, strings.Join(fields, ", "))
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
	w.p("// Async returns the async forms of f's methods.")
	w.p("func (f *%s) Async() *%sAsync {\nreturn (*%sAsync)(f)\n}\n", F, F, F)
}

// asyncMethod writes the async form of m; a context manager's Enter and
// Exit have none.
func (w *writer) asyncMethod(m *method) {
	g := w.g
	F := g.name
	switch m.shape {
	case shapeEnter, shapeExit:
		return
	case shapeProducer:
		w.p("// %s is the async form of [%s.%s]: it starts the producer as a task", m.name, F, m.name)
		w.p("// of the loop and returns the stream of its values at once.")
		w.p("func (f *%sAsync) %s(%s) *%s.Stream[%s] {", F, m.name, w.params(m, true), w.sy, g.typeStr(m.elem.typ, m.elem.self))
		if w.cm {
			w.p("return %s(ctx, (*%s)(f), %s)", g.local("Start"), F, w.producer(m))
		} else {
			w.p("return %s.Start(ctx, f.loop, %s)", w.sy, w.producer(m))
		}
		w.p("}\n")
		return
	}
	w.p("// %s is the async form of [%s.%s]: it starts the call as a task of", m.name, F, m.name)
	w.p("// the loop and returns its future at once.")
	w.p("func (f *%sAsync) %s(%s) *%s.Future[%s] {", F, m.name, w.params(m, true), w.sy, w.valueType(m))
	if w.cm {
		w.p("return %s(ctx, (*%s)(f), %s)", g.local("Go"), F, w.task(m))
	} else {
		w.p("return %s.Go(ctx, f.loop, %s)", w.sy, w.task(m))
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
	w.p("func (f *%s) Enter(ctx %s.Context) (%s, error) {", F, w.ctx, g.typeStr(r.typ, r.self))
	if r.self {
		w.p("if f.use != nil {")
		w.p("return nil, %s.New(%q)", w.errors, F+".Enter: called on the "+F+" that Enter returned; uses do not nest")
		w.p("}")
		w.p("u, v, err := f.hold.enter(ctx, f.loop, f.impl)")
		w.p("if err != nil {\nreturn nil, err\n}")
		w.p("return &%s{loop: f.loop, impl: v, fam: f.fam, use: u}, nil", F)
	} else {
		w.p("_, v, err := f.hold.enter(ctx, f.loop, f.impl)")
		w.p("return v, err")
	}
	w.p("}\n")
}

// exit writes the façade's Exit, which ends the use that holds the impl.
func (w *writer) exit() {
	g := w.g
	w.p("//")
	if g.cmSelf {
		w.p("// Exit ends the use that holds the *%s, called on the %s that Enter", g.typ, g.name)
		w.p("// was called on or on the one it returned, and lets the next caller in.")
	} else {
		w.p("// Exit ends the use that holds the *%s and lets the next caller in.", g.typ)
	}
	w.p("func (f *%s) Exit(ctx %s.Context, err error) error {", g.name, w.ctx)
	if g.cmSelf {
		w.p("u := f.use")
		w.p("if u == nil {\nu = f.hold.entered()\n}")
		w.p("return u.exit(ctx, err)")
	} else {
		w.p("return f.hold.entered().exit(ctx, err)")
	}
	w.p("}\n")
}
