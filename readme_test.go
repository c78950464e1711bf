package synchronicity_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// readmeImports are the packages README blocks may use without importing
// them, by the name they are used with.
var readmeImports = map[string]string{
	"sy":       `sy "github.com/synchronicity-go/synchronicity"`,
	"errgroup": `"golang.org/x/sync/errgroup"`,
	"context":  `"context"`,
	"errors":   `"errors"`,
	"fmt":      `"fmt"`,
	"http":     `"net/http"`,
	"io":       `"io"`,
	"iter":     `"iter"`,
	"log":      `"log"`,
	"os":       `"os"`,
	"slices":   `"slices"`,
	"sql":      `"database/sql"`,
	"strconv":  `"strconv"`,
	"strings":  `"strings"`,
	"sync":     `"sync"`,
	"time":     `"time"`,
}

// readmeBlock is one ```go block of README.md and the line it starts on.
type readmeBlock struct {
	line int
	code string
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	f, err := os.Open("README.md")
	require.NoError(t, err)
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && line == "```go":
			cur = &readmeBlock{line: n + 1}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "a ```go block is not closed")
	return blocks
}

// TestREADMECompiles type-checks and vets every ```go block of README.md in
// a module of its own that uses this repository's copy of the library. A
// block that starts with "package" is a program of its own; every other
// block is top-level declarations, all of them in one package, so a block
// may use what an earlier one declares, and the packages it names (see
// readmeImports) are imported for it. Each block must also be gofmt'd.
func TestREADMECompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on the README's code")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	blocks := readmeBlocks(t)
	require.NotEmpty(t, blocks)
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	dir := t.TempDir()
	writeReadmeModule(t, dir, root)

	for _, b := range blocks {
		name := fmt.Sprintf("readme_%d.go", b.line)
		if strings.HasPrefix(b.code, "package ") {
			pkg := filepath.Join(dir, fmt.Sprintf("program%d", b.line))
			require.NoError(t, os.Mkdir(pkg, 0o755))
			checkFormatted(t, b, b.code)
			writeFile(t, filepath.Join(pkg, name), fmt.Sprintf("//line README.md:%d\n%s", b.line, b.code))
			continue
		}
		checkFormatted(t, b, "package readme\n\n"+b.code)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, "package readme\n"+b.code, 0)
		require.NoError(t, err, "README.md:%d: the block is neither a program nor declarations", b.line)
		var imports []string
		for _, id := range f.Unresolved {
			if imp, ok := readmeImports[id.Name]; ok && !slices.Contains(imports, imp) {
				imports = append(imports, imp)
			}
		}
		slices.Sort(imports)
		src := "package readme\n\nimport (\n\t" + strings.Join(imports, "\n\t") + "\n)\n\n" +
			fmt.Sprintf("//line README.md:%d\n", b.line) + b.code
		writeFile(t, filepath.Join(dir, name), src)
	}

	cmd := exec.Command(goTool, "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README.md's Go code does not build:\n%s", out)
	}
}

// writeReadmeModule writes the go.mod and go.sum of a module that replaces
// the library with the repository at root, and requires golang.org/x/sync
// for the errgroup comparison, at a version that still builds with the
// oldest Go the library supports.
func writeReadmeModule(t *testing.T, dir, root string) {
	const syncVersion = "v0.16.0" // go 1.23.0
	writeFile(t, filepath.Join(dir, "go.mod"), fmt.Sprintf(`module readme

go 1.23

require (
	github.com/synchronicity-go/synchronicity v0.0.0
	golang.org/x/sync %s
)

replace github.com/synchronicity-go/synchronicity => %s
`, syncVersion, root))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	for _, line := range []string{
		"golang.org/x/sync v0.16.0 h1:ycBJEhp9p4vXvUZNszeOq0kGTPghopOL8q0fq3vstxw=\n",
		"golang.org/x/sync v0.16.0/go.mod h1:1dzgHSNfp02xaA81J2MS99Qcpr2w7fw1gpm99rleRqA=\n",
	} {
		if !bytes.Contains(sum, []byte(line)) {
			sum = append(sum, line...)
		}
	}
	writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
}

func checkFormatted(t *testing.T, b readmeBlock, src string) {
	t.Helper()
	got, err := format.Source([]byte(src))
	require.NoError(t, err, "README.md:%d", b.line)
	if string(got) != src {
		t.Errorf("README.md:%d: the block is not gofmt'd; gofmt makes it:\n%s", b.line, got)
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(name, []byte(content), 0o644))
}

// TestGuaranteesNameRealTests checks that every test the README's
// Guarantees table names exists, so that a row cannot outlive its proof.
func TestGuaranteesNameRealTests(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(readme), "## Guarantees")
	require.True(t, ok, "README.md has no Guarantees section")
	table, _, _ = strings.Cut(table, "\n## ")
	var sources []byte
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			sources = append(sources, b...)
			return err
		}
		return err
	})
	require.NoError(t, err)
	names := regexp.MustCompile("`((?:Test|Fuzz|Example)[A-Za-z0-9_]+)").FindAllStringSubmatch(table, -1)
	require.NotEmpty(t, names)
	for _, m := range names {
		if !bytes.Contains(sources, []byte("func "+m[1]+"(")) {
			t.Errorf("the Guarantees table names %s, which no test file declares", m[1])
		}
	}
}
