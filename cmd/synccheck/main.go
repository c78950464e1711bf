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
	"github.com/synchronicity-go/synchronicity/analysis/synccheck"
	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() {
	singlechecker.Main(synccheck.Analyzer)
}
