// Command synccheck runs the analyzer of
// [github.com/synchronicity-go/synchronicity/analysis/synccheck], whose
// documentation lists what it reports: misuses of the synchronicity package
// that compile but lose errors or work.
//
// Add it to a module as a tool, then run it on its own, as any go/analysis
// command, with package patterns, or as a vet tool:
//
//	go get -tool github.com/synchronicity-go/synchronicity/cmd/synccheck@latest
//	go tool synccheck ./...
//	go vet -vettool="$(go tool -n synccheck)" ./...
//
// Either way the exit status is non-zero when it reports something. On its
// own, -tags=a,b loads the packages with those build tags, as go vet's
// -tags does.
package main

import (
	"os"
	"strings"

	"github.com/synchronicity-go/synchronicity/analysis/synccheck"
	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() {
	os.Args = takeTags(os.Args)
	singlechecker.Main(synccheck.Analyzer)
}

// takeTags removes a -tags flag from args and hands its value to the go
// command that loads the packages, through GOFLAGS: the checker itself
// accepts -tags only to ignore it.
func takeTags(args []string) []string {
	out := args[:1:1]
	for i := 1; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "tags" {
			out = append(out, a)
			continue
		}
		if !hasValue && i+1 < len(args) {
			i++
			value = args[i]
		}
		os.Setenv("GOFLAGS", strings.TrimSpace(os.Getenv("GOFLAGS")+" -tags="+value))
	}
	return out
}
