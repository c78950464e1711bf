package synchronicity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// loops returns one loop of each kind, closed when the test ends.
func loops(t *testing.T) map[string]*sy.Loop {
	t.Helper()
	ls := map[string]*sy.Loop{
		"concurrent": sy.New(),
		"limited":    sy.New(sy.Limit(2)),
		"serial":     sy.New(sy.Serial()),
		"locked":     sy.New(sy.LockOSThread()),
	}
	for _, l := range ls {
		t.Cleanup(func() { assert.NoError(t, l.Close()) })
	}
	return ls
}

func TestCallReturnsResult(t *testing.T) {
	for name, l := range loops(t) {
		t.Run(name, func(t *testing.T) {
			v, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 42, nil })
			require.NoError(t, err)
			assert.Equal(t, 42, v)
			boom := errors.New("boom")
			_, err = sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 0, boom })
			assert.ErrorIs(t, err, boom)
		})
	}
}
