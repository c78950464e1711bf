package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		typ, name, want string
	}{
		{"generic", "Generic", "generic is generic: syncgen does not wrap generic types"},
		{"empty", "Empty", "type empty has no methods to wrap"},
		{"iface", "Iface", "iface is an interface: syncgen wraps the methods of a concrete type"},
		{"alias", "Alias", "alias is an alias; name the type it stands for"},
		{"notAType", "NotAType", "notAType in package github.com/synchronicity-go/synchronicity/cmd/syncgen/testdata/errs is a variable, not a type"},
		{"missing", "Missing", "package github.com/synchronicity-go/synchronicity/cmd/syncgen/testdata/errs has no type missing"},
		{"misfit", "Misfit", "no method of misfit fits a shape syncgen wraps:\n\t(*misfit).Late left out: its context.Context is not its first parameter"},
		{"wrapped", "", "the façade would declare Wrapped, but "},
		{"wrapped", "Clash", "the façade would declare NewClash, but "},
		{"wrapped", "wrapped", "-name=wrapped: the façade needs a name other than the type's"},
		{"Wrapped", "", "-name is required: the default façade name (-type with its first letter upper-cased) would be Wrapped itself"},
		{"wrapped", "a-b", `-name="a-b" is not a Go identifier`},
		{"1x", "", `-type="1x" is not a Go identifier`},
	} {
		t.Run(tc.typ+"/"+tc.name, func(t *testing.T) {
			_, err := generate(config{pattern: "./testdata/errs", typ: tc.typ, name: tc.name})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}

func TestFlags(t *testing.T) {
	// A module of its own holding the shapes package without its façade.
	mod := t.TempDir()
	src, err := os.ReadFile("testdata/shapes/shapes.go")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"go.mod": []byte("module example.com/shapes\n\ngo 1.24\n"), "shapes.go": src} {
		if err := os.WriteFile(filepath.Join(mod, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(mod); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	out := filepath.Join(mod, "store_syncgen.go")
	for _, tc := range []struct {
		args []string
		want string // the error's start, or "" for success
		warn string // in stderr
	}{
		{args: nil, want: "-type is required"},
		{args: []string{"-nope"}, want: "flag provided but not defined: -nope"},
		{args: []string{"-type=store", "a", "b"}, want: "at most one package, got 2: a b"},
		{args: []string{"-type=store", "./none"}, want: "package ./none: no Go files"},
		{args: []string{"-type=store", "-name=Store", "-unexported", "-strict"}, want: "-strict: 5 method(s) of store fit no shape", warn: "syncgen: warning: (*store).Late left out"},
		{args: []string{"-type=store", "-name=Store", "-unexported"}, warn: "syncgen: warning: (*store).Async left out"},
		// Run again, the façade is regenerated over the old one.
		{args: []string{"-type=store", "-name=Store", "-unexported"}, warn: "syncgen: warning: (*store).Async left out"},
		// A second façade beside the first would declare its names twice.
		{args: []string{"-type=store", "-name=Store", "-unexported", "-output=other.go"}, want: "the façade would declare Store, but " + out + ":"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stderr strings.Builder
			err := run(tc.args, &stderr)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
			if !strings.Contains(stderr.String(), tc.warn) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.warn)
			}
		})
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(wd, "testdata/shapes/store_syncgen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("wrote something other than the golden file:\n%s", got)
	}
	// Before go1.24 there is no package weak: the family keeps a plain map.
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/shapes\n\ngo 1.23\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-type=store", "-name=Store", "-unexported"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(out); err != nil || !strings.Contains(string(got), "m  map[*store]*Store\n") || strings.Contains(string(got), "weak.") {
		t.Errorf("at go1.23 the family is not a plain map (%v):\n%s", err, got)
	}
	if _, err := os.Stat("other.go"); !os.IsNotExist(err) {
		t.Errorf("a failed run left other.go behind: %v", err)
	}
}
