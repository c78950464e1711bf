package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// 50 goroutines share the connection; every committed row is there and no
// rolled-back one (run checks that itself and fails otherwise).
func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	lines := strings.Split(out.String(), "\n")
	require.Len(t, lines, 4)
	// 13 blocking inserts, 13 fan-outs of two, 12 transactions of two.
	assert.Equal(t, "50 goroutines: 63 rows committed, 12 transactions rolled back", lines[0])
	assert.Regexp(t, `^the first 5 rows, then a break: \[user\w+ user\w+ user\w+ user\w+ user\w+\]$`, lines[1])
	assert.Equal(t, "checked: all 63 committed rows are there, and none rolled back", lines[2])
}
