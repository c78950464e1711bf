package names

import (
	"context"
	"errors"
	"slices"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
)

func TestKV(t *testing.T) {
	l := sy.New(sy.Serial())
	defer l.Close()
	db := NewKV(l, &kv{})
	ctx := context.Background()
	if a, err := db.Put(ctx, "k", "v", nil, 7); a != 7 || err != nil {
		t.Fatalf("Put = %v, %v", a, err)
	}
	stop := errors.New("stop")
	if _, err := db.Async().Put(ctx, "x", "y", stop, 1).Result(); !errors.Is(err, stop) {
		t.Fatalf("Put with err = %v", err)
	}
	if u, r, ok, err := db.Pair("k", "z"); u != "z" || r != "k" || !ok || err != nil {
		t.Fatalf("Pair = %v %v %v %v", u, r, ok, err)
	}
	var got []string
	for v, err := range db.Each(ctx, []string{"k"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, []string{"v"}) {
		t.Fatalf("Each = %v", got)
	}
}
