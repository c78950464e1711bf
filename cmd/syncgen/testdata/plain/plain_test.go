package plain

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The façade keeps the impl's io.Writer and io.WriterTo methods.
var (
	_ io.Writer   = (*SyncCounter)(nil)
	_ io.WriterTo = (*SyncCounter)(nil)
)

func TestCounter(t *testing.T) {
	ctx := context.Background()
	l := sy.New()
	defer l.Close()
	c := NewSyncCounter(l, &Counter{})
	other := NewSyncCounter(l, &Counter{n: 10})
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(c, "%d;", i)
		if _, err := c.Add(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Merge(ctx, other); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Async().Add(ctx, 0).Result(); n != 16 || err != nil {
		t.Errorf("Add(0) = %d, %v; want 16", n, err)
	}
	if n := must(c.count()); n != 16 {
		t.Errorf("count = %d", n)
	}
	var b strings.Builder
	if _, err := c.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != "1;2;3;" {
		t.Errorf("WriteTo wrote %q", b.String())
	}
}

// must returns v, failing the test (by a panic) on a façade's error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
