package shapes

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"

	sy "github.com/synchronicity-go/synchronicity"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func serial(t *testing.T) *sy.Loop {
	l := sy.New(sy.Serial(), sy.Name("shapes"))
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

func TestCalls(t *testing.T) {
	ctx := context.Background()
	s := NewStore(serial(t), newStore("root"))
	if err := s.Put(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAll(ctx, "b", "2", "c", "3"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAll(ctx, "odd"); err == nil || err.Error() != "odd number of arguments" {
		t.Errorf("PutAll with an odd count: %v", err)
	}
	if v, err := s.Get(ctx, "b"); v != "2" || err != nil {
		t.Errorf("Get(b) = %q, %v", v, err)
	}
	if _, err := s.Get(ctx, "zz"); !errors.Is(err, ErrMissing) {
		t.Errorf("Get(zz): %v, want ErrMissing", err)
	}
	if ok, err := s.Has(ctx, "c"); !ok || err != nil {
		t.Errorf("Has(c) = %v, %v", ok, err)
	}
	if err := s.Touch(ctx); err != nil {
		t.Fatal(err)
	}
	if r, w, err := s.Stats(ctx); r != 2 || w != 4 || err != nil {
		t.Errorf("Stats = %d, %d, %v; want 2, 4, nil", r, w, err)
	}
	if name, n, err := s.Pair(ctx); name != "root" || n != 3 || err != nil {
		t.Errorf("Pair = %q, %d, %v", name, n, err)
	}
	if err := s.Rename(ctx, "top", 2, true, false); err != nil {
		t.Fatal(err)
	}
	if got := must(s.Name()); got != "top!!?" {
		t.Errorf("Name = %q", got)
	}
	if n, kids, err := s.Dims(); err != nil || n != 3 || kids != 0 {
		t.Errorf("Dims = %d, %d", n, kids)
	}
	s.Reset()
	if n := must(s.Len()); n != 0 {
		t.Errorf("Len after Reset = %d", n)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestProducer(t *testing.T) {
	ctx := context.Background()
	s := NewStore(serial(t), newStore("root"))
	if err := s.PutAll(ctx, "k3", "", "k1", "", "x", "", "k2", ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k, err := range s.Keys(ctx, "k") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	if want := []string{"k1", "k2", "k3"}; !slices.Equal(got, want) {
		t.Errorf("Keys = %v, want %v", got, want)
	}
	got = nil
	for k := range s.Keys(ctx, "k") {
		got = append(got, k)
		break
	}
	if want := []string{"k1"}; !slices.Equal(got, want) {
		t.Errorf("Keys, first only = %v, want %v", got, want)
	}
	st := s.Async().Keys(ctx, "")
	got = nil
	for k := range st.C() {
		got = append(got, k)
	}
	if err := st.Stop(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"k1", "k2", "k3", "x"}; !slices.Equal(got, want) {
		t.Errorf("Async Keys = %v, want %v", got, want)
	}
}

func TestTranslation(t *testing.T) {
	ctx := context.Background()
	l := serial(t)
	s := NewStore(l, newStore("root"))
	if p := must(s.Parent()); p != nil {
		t.Errorf("root's Parent = %v, want nil", p)
	}
	a, err := s.Child(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Async().Child(ctx, "b").Result()
	if err != nil {
		t.Fatal(err)
	}
	if must(a.Parent()) != s || must(b.Parent()) != s {
		t.Error("a child's Parent is not the façade it was made from")
	}
	var kids []*Store
	for c, err := range s.Children(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		kids = append(kids, c)
	}
	if len(kids) != 2 || kids[0] != a || kids[1] != b {
		t.Errorf("Children = %v, want [%p %p]", kids, a, b)
	}
	st := s.Async().Children(ctx)
	if c := <-st.C(); c != a {
		t.Errorf("first of Async Children = %p, want %p", c, a)
	}
	if err := st.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := a.PutAll(ctx, "x", "1", "y", "2"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Adopt(ctx, a); n != 2 || err != nil {
		t.Errorf("Adopt(a) = %d, %v", n, err)
	}
	if v, err := s.Get(ctx, "y"); v != "2" || err != nil {
		t.Errorf("Get(y) after Adopt = %q, %v", v, err)
	}
	if _, err := s.Adopt(ctx, nil); err == nil || err.Error() != "nil store" {
		t.Errorf("Adopt(nil): %v", err)
	}
	// A façade made by NewStore is a family of its own.
	if other := NewStore(l, s.impl); other == s {
		t.Error("NewStore returned an existing façade")
	}
}

func TestContextManager(t *testing.T) {
	ctx := context.Background()
	s := NewStore(serial(t), newStore("root"))
	err := sy.Do(ctx, s, func(tx *Store) error {
		if tx == s || tx.impl != s.impl {
			t.Errorf("Enter gave %p for %p, want a façade of its own for the same store", tx, s)
		}
		return tx.Put(ctx, "a", "1")
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := sy.Do(ctx, s, func(*Store) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Do with a failing body: %v", err)
	}
	tx, exit, err := sy.Enter(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Close(); err == nil {
		t.Error("Close inside a transaction succeeded")
	}
	exit(nil)
	want := []string{"begin", "commit", "begin", "rollback", "begin", "commit"}
	if got := must(s.Log()); !slices.Equal(got, want) {
		t.Errorf("Log = %v, want %v", got, want)
	}
}

func TestAsync(t *testing.T) {
	ctx := context.Background()
	s := NewStore(serial(t), newStore("root"))
	var puts []*sy.Future[struct{}]
	for i := range 20 {
		puts = append(puts, s.Async().Put(ctx, fmt.Sprint(i), fmt.Sprint(i*i)))
	}
	if _, err := sy.All(ctx, puts...); err != nil {
		t.Fatal(err)
	}
	var gets []*sy.Future[string]
	for i := range 20 {
		gets = append(gets, s.Async().Get(ctx, fmt.Sprint(i)))
	}
	vs, err := sy.All(ctx, gets...)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		if v != fmt.Sprint(i*i) {
			t.Errorf("Get(%d) = %q", i, v)
		}
	}
	r, err := s.Async().Stats(ctx).Result()
	if r != (StoreStatsResult{Reads: 20, Writes: 20}) || err != nil {
		t.Errorf("Async Stats = %+v, %v", r, err)
	}
	d, err := s.Async().Dims(ctx).Result()
	if d != (StoreDimsResult{V0: 20, V1: 0}) || err != nil {
		t.Errorf("Async Dims = %+v, %v", d, err)
	}
	if n, err := s.Async().Len(ctx).Result(); n != 20 || err != nil {
		t.Errorf("Async Len = %d, %v", n, err)
	}
	if _, err := s.Async().Reset(ctx).Result(); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Async().Has(ctx, "1").Result(); ok || err != nil {
		t.Errorf("Async Has after Reset = %v, %v", ok, err)
	}
}

// TestShared uses one store from many goroutines at once: the race
// detector finds any call that does not run on the loop.
func TestShared(t *testing.T) {
	ctx := context.Background()
	s := NewStore(serial(t), newStore("root"))
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := fmt.Sprint(i)
			if err := s.Put(ctx, k, k); err != nil {
				t.Error(err)
			}
			if v, err := s.Async().Get(ctx, k).Result(); v != k || err != nil {
				t.Errorf("Get(%s) = %q, %v", k, v, err)
			}
			for range s.Keys(ctx, k) {
			}
		}()
	}
	wg.Wait()
	if n := must(s.Len()); n != 50 {
		t.Errorf("Len = %d, want 50", n)
	}
}

func TestErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := sy.New(sy.Serial())
	impl := newStore("root")
	s := NewStore(l, impl)
	if err := s.Wait(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled ctx: %v", err)
	}
	if _, err := s.Async().Get(ctx, "a").Result(); !errors.Is(err, context.Canceled) {
		t.Errorf("Async Get with a cancelled ctx: %v", err)
	}
	mustPanic(t, "panicky", "boom", func() { s.panicky(context.Background(), "boom") })
	mustPanic(t, "Async panicky", "boom", func() { s.Async().panicky(context.Background(), "boom").Result() })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "a"); !errors.Is(err, sy.ErrClosed) {
		t.Errorf("Get on a closed loop: %v", err)
	}
	// Nothing else can use the store once its loop has closed: the
	// façade's Close closes it all the same, here.
	if err := s.Close(); err != nil || !impl.closed {
		t.Errorf("Close on a closed loop: %v, store closed: %v", err, impl.closed)
	}
	if _, err := s.Len(); !errors.Is(err, sy.ErrClosed) {
		t.Errorf("Len on a closed loop: %v", err)
	}
}

// mustPanic checks that fn panics with want, a *PanicError's value or an
// error it wraps.
func mustPanic(t *testing.T, what string, want any, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		var pe *sy.PanicError
		err, _ := r.(error)
		wantErr, _ := want.(error)
		switch {
		case errors.As(err, &pe) && pe.Value == want:
		case err != nil && wantErr != nil && errors.Is(err, wantErr):
		default:
			t.Errorf("%s: panic %v, want %v", what, r, want)
		}
	}()
	fn()
}

// must returns v, failing the test (by a panic) on a façade's error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The family lets go of the façades nobody holds: translating 10,000
// results and dropping them leaves it as small as before, and a façade
// still held comes back as itself.
func TestFamilyLetsGoOfDroppedFacades(t *testing.T) {
	ctx := context.Background()
	s := NewStore(serial(t), newStore("root"))
	kept, err := s.Child(ctx, "kept")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10_000 {
		if _, err := s.Child(ctx, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	size := func() int {
		s.fam.mu.Lock()
		defer s.fam.mu.Unlock()
		return len(s.fam.m)
	}
	// Cleanups run on a goroutine of the runtime's after a collection.
	for i := 0; size() > 2 && i < 10_000; i++ {
		if i%100 == 0 {
			runtime.GC()
		}
		runtime.Gosched()
	}
	if n := size(); n > 2 {
		t.Errorf("the family holds %d façades after 10,000 were dropped; want the root's and kept's", n)
	}
	first := true
	for c, err := range s.Children(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if first && c != kept {
			t.Errorf("the façade still held came back as another")
		}
		first = false
	}
}
