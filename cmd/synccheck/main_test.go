package main_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCommand builds the command and runs it both ways, on its own and as a
// vet tool, over the analyzer's test module: silent with status 0 on correct
// code, and reporting with a non-zero status on misuse.
func TestCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "synccheck")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testdata := filepath.Join("..", "..", "analysis", "synccheck", "testdata")
	run := func(name string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = testdata
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return string(out), 0
		case errors.As(err, &exit):
			return string(out), exit.ExitCode()
		}
		t.Fatalf("%s %v: %v", name, args, err)
		return "", 0
	}

	for _, c := range []struct {
		name string
		args []string
	}{
		{bin, nil},
		{goTool, []string{"vet", "-vettool=" + bin}},
	} {
		if out, code := run(c.name, append(c.args, "./clean")...); code != 0 || out != "" {
			t.Errorf("%s %v ./clean: status %d, output %q; want 0 and nothing", c.name, c.args, code, out)
		}
		out, code := run(c.name, append(c.args, "./futures")...)
		if c.name == bin {
			// Files behind a build tag are checked with -tags.
			if out, code := run(bin, "./tagged"); code != 0 || out != "" {
				t.Errorf("synccheck ./tagged: status %d, output %q; want nothing without the tag", code, out)
			}
			if out, code := run(bin, "-tags=special", "./tagged"); code == 0 || !strings.Contains(out, "tagged.go:") {
				t.Errorf("synccheck -tags=special ./tagged: status %d, output:\n%s\nwant a report", code, out)
			}
		}
		if code == 0 || !strings.Contains(out, "futures.go:") || !strings.Contains(out, "the future returned by Go is dropped") {
			t.Errorf("%s %v ./futures: status %d, output:\n%s\nwant a report and a non-zero status", c.name, c.args, code, out)
		}
	}
}
