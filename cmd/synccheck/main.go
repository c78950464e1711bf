// Command synccheck reports misuses of the synchronicity package that
// compile but lose errors or work: a deferred exit function of Enter that
// cannot see the function's error, an exit function that is dropped, a range
// over a sequence of (value, error) pairs that drops the error, a future or
// stream that is started and dropped, and a loop closed from work handed to
// it. See the analysis/synccheck package for the details.
//
// Add it to a module as a tool, then run it on its own, as any go/analysis
// command, with package patterns, or as a vet tool:
//
//	go get -tool github.com/synchronicity-go/synchronicity/cmd/synccheck@latest
//	go tool synccheck ./...
//	go vet -vettool="$(go tool -n synccheck)" ./...
//
// Either way the exit status is non-zero when it reports something.
package main

import (
	"encoding/json"
	"os"
	"strings"

	"github.com/synchronicity-go/synchronicity/analysis/synccheck"
	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() {
	if n := len(os.Args); n > 1 && strings.HasSuffix(os.Args[n-1], ".cfg") {
		vetStdout(os.Args[n-1])
	}
	singlechecker.Main(synccheck.Analyzer)
}

// vetStdout follows the vet tool protocol of Go 1.26 and later, for a run
// by go vet with the configuration file cfg. go vet asks the tool for JSON
// (-json) and reads it from the file that the configuration's Stdout field
// names, while the checker of golang.org/x/tools v0.36.0 writes it to
// standard output, where go vet would print it raw and report success.
// Pointing standard output at that file makes go vet print the
// diagnostics and fail. Older go commands name no such file, and the tool
// writes to standard error as it always has.
func vetStdout(cfg string) {
	data, err := os.ReadFile(cfg)
	if err != nil {
		return // the checker reports it
	}
	var c struct{ Stdout string }
	if json.Unmarshal(data, &c) != nil || c.Stdout == "" {
		return
	}
	f, err := os.Create(c.Stdout)
	if err != nil {
		return // go vet will find the output missing and say so
	}
	os.Stdout = f
}
