package synchronicity_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sy "github.com/synchronicity-go/synchronicity"
)

// file is an io.Closer that counts its Close calls.
type file struct {
	name   string
	closed int
	err    error
}

func (f *file) Close() error {
	f.closed++
	return f.err
}

func TestClosing(t *testing.T) {
	ctx := context.Background()
	var opened []*file
	cm := sy.Closing(func(ctx context.Context) (*file, error) {
		f := &file{name: fmt.Sprint(len(opened)), err: errExit}
		opened = append(opened, f)
		return f, nil
	})
	err := sy.Do(ctx, cm, func(f *file) error {
		return sy.Do(ctx, cm, func(g *file) error {
			assert.NotSame(t, f, g, "each use opens its own")
			return errBody
		})
	})
	assert.ErrorIs(t, err, errBody)
	assert.ErrorIs(t, err, errExit)
	require.Len(t, opened, 2)
	assert.Equal(t, 1, opened[0].closed)
	assert.Equal(t, 1, opened[1].closed)

	failing := sy.Closing(func(ctx context.Context) (*file, error) { return nil, errOpen })
	assert.Equal(t, errOpen, sy.Do(ctx, failing, func(*file) error { return nil }))
}
