package synccheck_test

import (
	"testing"

	"github.com/synchronicity-go/synchronicity/analysis/synccheck"
	"go.uber.org/goleak"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestAnalyzer runs the analyzer over testdata, a module of its own that
// uses the repository's library through a replace directive. Each package
// marks the misuses it must report with want comments; everything else in
// it must not be reported.
func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), synccheck.Analyzer,
		"./exits", "./ranges", "./futures", "./clean", "./ownwork", "./facades")
}
