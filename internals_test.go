package synchronicity_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// No decision of the library reads the goroutine profile, another
// goroutine's stack or pprof labels: only internals.go may read the
// calling goroutine's own stack header (for its id), and panic.go the
// stack of the goroutine that panicked, to report it.
func TestNoIntrospection(t *testing.T) {
	forbidden := regexp.MustCompile(`pprof\.Lookup|pprof\.Label\(|pprof\.ForLabels|runtime\.Stack\([^)]*true\)|runtime\.Stack\(|debug\.Stack\(`)
	allowed := map[string]string{
		"internals.go": "runtime.Stack(buf[:], false)", // the caller's own id
		"panic.go":     "debug.Stack()",                // the panicking goroutine's own stack
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range forbidden.FindAllString(string(src), -1) {
			if ok := allowed[f]; ok != "" && strings.HasPrefix(ok, m) {
				continue
			}
			t.Errorf("%s reads %q", f, m)
		}
	}
}
