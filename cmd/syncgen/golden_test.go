package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// raceFlags are passed to the go test that runs the generated code: -race
// when this test runs under the race detector.
var raceFlags []string

// goldens are the testdata packages, each with its generated file
// committed beside it as the golden output.
var goldens = []struct {
	dir, typ, name, golden string
	unexported             bool
	warnings               []string
}{
	{
		dir: "shapes", typ: "store", name: "Store", golden: "store_syncgen.go", unexported: true,
		warnings: []string{
			"(*store).Late left out: its context.Context is not its first parameter",
			"(*store).Walk left out: it ends in yield func(T) bool but does not return just error, as a producer does",
			"(*store).All left out: its type []*store holds store, which the façade would hand out unwrapped; only *store itself is translated",
			"(*store).Async left out: the façade's Async method has that name",
			"(*store).use left out: the façade of a context manager has a field of that name",
		},
	},
	{dir: "plain", typ: "Counter", name: "SyncCounter", golden: "counter_syncgen.go", unexported: true},
	{dir: "tx", typ: "ledger", name: "Ledger", golden: "ledger_syncgen.go"},
	{dir: "tx", typ: "tally", name: "Tally", golden: "tally_syncgen.go"},
	{dir: "names", typ: "kv", name: "KV", golden: "kv_syncgen.go"},
}

func TestGolden(t *testing.T) {
	for _, tc := range goldens {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.dir)
			res, err := generate(config{pattern: "./" + dir, typ: tc.typ, name: tc.name, unexported: tc.unexported})
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join(dir, tc.golden)
			if abs, _ := filepath.Abs(golden); res.path != abs {
				t.Errorf("output path %s, want %s", res.path, abs)
			}
			if !slices.Equal(res.warnings, tc.warnings) {
				t.Errorf("warnings:\n%q\nwant:\n%q", res.warnings, tc.warnings)
			}
			if *update {
				if err := os.WriteFile(golden, res.src, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.src, want) {
				t.Errorf("generated code differs from %s (go test -run TestGolden -update rewrites it); got:\n%s", golden, res.src)
			}
		})
	}
}

// TestGenerated compiles the generated façades and runs their packages'
// tests, under the race detector when this test runs under it.
func TestGenerated(t *testing.T) {
	if *update {
		t.Skip("-update: the golden files are being rewritten")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to compile the generated code: %v", err)
	}
	args := append([]string{"test", "-count=1"}, raceFlags...)
	for _, tc := range goldens {
		args = append(args, "./testdata/"+tc.dir)
	}
	out, err := exec.Command(goBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	t.Logf("go %v:\n%s", args, out)
}

// A façade exports what the impl exports: its unexported helpers stay out
// unless -unexported asks for them.
func TestUnexportedMethodsNeedTheFlag(t *testing.T) {
	for _, unexported := range []bool{false, true} {
		res, err := generate(config{pattern: "./testdata/shapes", typ: "store", name: "Store", unexported: unexported})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(res.src), ") panicky("); got != unexported {
			t.Errorf("-unexported=%v: façade has panicky: %v", unexported, got)
		}
	}
}

// A method that hands over another type with a façade of its own gets a
// warning: the value goes unwrapped, and calls on it would run off the
// loop.
func TestWarnsOfOtherFacades(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/two/two.go")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "two.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/two\n\ngo 1.24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir) // outside the repository's workspace
	gen := func(typ, name string) *result {
		t.Helper()
		res, err := generate(config{pattern: ".", typ: typ, name: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(res.path, res.src, 0o644); err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := gen("db", "DB"); len(res.warnings) != 0 {
		t.Errorf("before Tx exists: warnings %q", res.warnings)
	}
	gen("tx", "Tx")
	res := gen("db", "DB")
	want := "(*db).Begin hands over *tx unwrapped, though the package has its façade Tx"
	if len(res.warnings) != 1 || !strings.HasPrefix(res.warnings[0], want) {
		t.Errorf("warnings %q, want one starting %q", res.warnings, want)
	}
}
