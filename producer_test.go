package synchronicity_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	sy "github.com/synchronicity-go/synchronicity"
)

func TestFromSeq(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	vs, errs := split(sy.Seq(context.Background(), l, sy.FromSeq(slices.Values([]string{"a", "b"})), sy.Prefetch(2)))
	assert.Empty(t, errs)
	assert.Equal(t, []string{"a", "b"}, vs)

	s := sy.Start(context.Background(), l, sy.FromSeq(slices.Values([]int{0, 1, 4})))
	defer s.Stop()
	var got []int
	for v := range s.C() {
		got = append(got, v)
	}
	assert.NoError(t, s.Stop())
	assert.Equal(t, []int{0, 1, 4}, got)
}
