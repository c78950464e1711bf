package main

import (
	"strings"
	"text/template"
)

// The hold is what makes the façade of a context manager safe to share:
// see "Context managers" in the package doc. Its code is the same for
// every façade but for the names, so it is written from a template.

// holdNames are the names the hold's code uses.
type holdNames struct {
	F, T, V          string // the façade, the impl and Enter's value as the impl returns it
	Hold, Use, Turn  string // the types and the turn function
	Call, Go         string // the helpers for calls, if the façade has any
	Seq, Start       string // the helpers for producers, if it has any
	Sy, Ctx, Iter    string // package names
	Sync, Atomic     string
	Errors           string
	Scoped           bool // Enter returns a façade of the use's own
	Calls, Producers bool
}

var holdTmpl = template.Must(template.New("hold").Parse(`
// {{.Hold}} lets one use of a *{{.T}} as a context manager hold it at a
// time. From the use's Enter to its Exit, calls through the {{.F}} wait for
// their turn, and so do other uses; the use waits in turn for the calls that
// have theirs.
type {{.Hold}} struct {
	mu    {{.Sync}}.Mutex
	calls int           // calls that have their turn
	held  chan struct{} // from a use's Enter to its Exit; closed then
	idle  chan struct{} // closed when calls drops to 0, for the use waiting on it
	use   *{{.Use}}     // the use that holds it, once entered
}

// wait waits until no use holds the *{{.T}}, or ctx ends, and counts a call
// in until done.
func (h *{{.Hold}}) wait(ctx {{.Ctx}}.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.free(ctx); err != nil {
		return err
	}
	h.calls++
	return nil
}

// done counts a call out.
func (h *{{.Hold}}) done() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.calls--; h.calls == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// free waits, with h.mu locked, until no use holds the *{{.T}} or ctx ends.
func (h *{{.Hold}}) free(ctx {{.Ctx}}.Context) error {
	for h.held != nil {
		held := h.held
		h.mu.Unlock()
		select {
		case <-held:
		case <-ctx.Done():
			h.mu.Lock()
			return ctx.Err()
		}
		h.mu.Lock()
	}
	return nil
}

// enter takes the hold, waits for the calls that have their turn, and
// enters impl on loop l as a use of its own.
func (h *{{.Hold}}) enter(ctx {{.Ctx}}.Context, l *{{.Sy}}.Loop, impl *{{.T}}) (u *{{.Use}}, v {{.V}}, err error) {
	h.mu.Lock()
	if err := h.free(ctx); err != nil {
		h.mu.Unlock()
		return nil, v, err
	}
	h.held = make(chan struct{})
	var idle chan struct{}
	if h.calls > 0 {
		idle = make(chan struct{})
		h.idle = idle
	}
	h.mu.Unlock()
	defer func() {
		if u == nil { // failed, cancelled or panicked
			h.release()
		}
	}()
	if idle != nil {
		select {
		case <-idle:
		case <-ctx.Done():
			return nil, v, ctx.Err()
		}
	}
	mgr := {{.Sy}}.OnLoop[{{.V}}](l, impl)
	if v, err = mgr.Enter(ctx); err != nil {
		return nil, v, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.use = &{{.Use}}{hold: h, mgr: mgr}
	return h.use, v, nil
}

// entered returns the use that holds the *{{.T}}, or nil.
func (h *{{.Hold}}) entered() *{{.Use}} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.use
}

// release lets the next use, or the calls waiting, go on.
func (h *{{.Hold}}) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.held)
	h.held, h.idle, h.use = nil, nil, nil
}

// {{.Use}} is one use of a {{.F}} as a context manager, from Enter to Exit.
type {{.Use}} struct {
	hold  *{{.Hold}}
	mgr   {{.Sy}}.ContextManager[{{.V}}] // the use's own, entered once
	ended {{.Atomic}}.Bool
}

// exit exits the use on the loop, then lets go of the hold.
func (u *{{.Use}}) exit(ctx {{.Ctx}}.Context, err error) error {
	if u == nil || u.ended.Swap(true) {
		panic("{{.F}}.Exit: no use to exit: Exit must follow an Enter that succeeded, once, as synchronicity.Do and With see to")
	}
	defer u.hold.release()
	return u.mgr.Exit(ctx, err)
}
{{- if .Scoped}}

// check fails once the use has ended.
func (u *{{.Use}}) check() error {
	if u.ended.Load() {
		return {{.Errors}}.New("{{.F}}: called through the {{.F}} that Enter returned after its Exit; call the {{.F}} that Enter was called on")
	}
	return nil
}

// {{.Turn}} waits for f's turn to call its *{{.T}}: the {{.F}} that Enter
// returned has it at once, until the use's Exit; another waits until no use
// holds the *{{.T}}, or ctx ends. It returns the hold that counts the call
// in, for done, or nil.
func {{.Turn}}(ctx {{.Ctx}}.Context, f *{{.F}}) (*{{.Hold}}, error) {
	if f.use != nil {
		return nil, f.use.check()
	}
	return f.hold, f.hold.wait(ctx)
}
{{- end}}
{{- define "turn"}}
{{- if .Scoped}}
	h, err := {{.Turn}}(ctx, f)
	if err != nil {
{{- else}}
	h := f.hold
	if err := h.wait(ctx); err != nil {
{{- end}}
{{- end}}
{{- define "counted"}}
{{- if .Scoped}}
	if h != nil {
		defer h.done()
	}
{{- else}}
	defer h.done()
{{- end}}
{{- end}}
{{- if .Calls}}

// {{.Call}} is synchronicity.Call in f's turn.
func {{.Call}}[T any](ctx {{.Ctx}}.Context, f *{{.F}}, fn func({{.Ctx}}.Context) (T, error)) (T, error) {
	{{- template "turn" .}}
		var zero T
		return zero, err
	}
	{{- template "counted" .}}
	return {{.Sy}}.Call(ctx, f.loop, fn)
}

// {{.Go}} is synchronicity.Go in f's turn, which lasts until the task is
// queued: on a serial loop, it runs before any use that waits for the turn.
func {{.Go}}[T any](ctx {{.Ctx}}.Context, f *{{.F}}, fn func({{.Ctx}}.Context) (T, error)) *{{.Sy}}.Future[T] {
	{{- template "turn" .}}
		fut, settle := {{.Sy}}.NewPromise[T]()
		var zero T
		settle(zero, err)
		return fut
	}
	{{- template "counted" .}}
	return {{.Sy}}.Go(ctx, f.loop, fn)
}
{{- end}}
{{- if .Producers}}

// {{.Seq}} is synchronicity.Seq in f's turns: each step of the producer
// takes one and the loop body none, so the body may call f and a use may
// begin between two values, but no step runs while another's use is open.
func {{.Seq}}[T any](ctx {{.Ctx}}.Context, f *{{.F}}, p {{.Sy}}.Producer[T]) {{.Iter}}.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		{{- template "turn" .}}
			var zero T
			yield(zero, err)
			return
		}
		seq := {{.Sy}}.Seq(ctx, f.loop, p)
		{{- if .Scoped}}
		if h == nil {
			seq(yield)
			return
		}
		{{- end}}
		turn := true // the next step's
		defer func() {
			if turn {
				h.done()
			}
		}()
		for v, err := range seq {
			h.done()
			turn = false
			more := yield(v, err)
			if err := h.wait(ctx); err != nil {
				if more {
					var zero T
					yield(zero, err)
				}
				return
			}
			turn = true
			if !more {
				return
			}
		}
	}
}

// {{.Start}} is synchronicity.Start in f's turn, which lasts until the
// producer is queued. The stream then runs ahead on the loop: a use that
// begins meanwhile does not wait for it.
func {{.Start}}[T any](ctx {{.Ctx}}.Context, f *{{.F}}, p {{.Sy}}.Producer[T]) *{{.Sy}}.Stream[T] {
	{{- template "turn" .}}
		return {{.Sy}}.Start(ctx, f.loop, func({{.Ctx}}.Context, func(T) bool) error { return err })
	}
	{{- template "counted" .}}
	return {{.Sy}}.Start(ctx, f.loop, p)
}
{{- end}}
`))

// holdNames returns the names the hold's code uses; the imports it needs
// must have been registered.
func (w *writer) holdNames() holdNames {
	g := w.g
	return holdNames{
		F: g.name, T: g.typ, V: g.typeStr(g.cm, false),
		Hold: g.local("Hold"), Use: g.local("Use"), Turn: g.local("Turn"),
		Call: g.local("Call"), Go: g.local("Go"), Seq: g.local("Seq"), Start: g.local("Start"),
		Sy: w.sy, Ctx: w.ctx, Iter: w.iter,
		Sync: w.sync, Atomic: w.atomic, Errors: w.errors,
		Scoped: g.cmSelf, Calls: g.has(shapeCall), Producers: g.has(shapeProducer),
	}
}

// hold writes the hold's types and the helpers the methods call through.
func (w *writer) hold() {
	var b strings.Builder
	if err := holdTmpl.Execute(&b, w.holdNames()); err != nil {
		panic(err) // the template and its data are fixed
	}
	w.b.WriteString(strings.TrimPrefix(b.String(), "\n"))
	w.b.WriteString("\n\n")
}
