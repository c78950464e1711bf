package synchronicity_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sy "github.com/synchronicity-go/synchronicity"
)

func TestStream(t *testing.T) {
	boom := errors.New("boom")
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 100, err: boom}
			s := sy.Start(context.Background(), m.loop, c.produce, m.opts...)
			var got []int
			for v := range s.C() {
				got = append(got, v)
			}
			assert.Equal(t, seqInts(100), got)
			assert.ErrorIs(t, s.Stop(), boom)
			assert.EqualValues(t, 1, c.cleanups.Load())
		})
	}
}

func TestStreamStopMidway(t *testing.T) {
	for _, m := range modes(t) {
		t.Run(m.name, func(t *testing.T) {
			c := &counter{n: 1 << 30}
			s := sy.Start(context.Background(), m.loop, c.produce, m.opts...)
			assert.Equal(t, 0, <-s.C())
			assert.Equal(t, 1, <-s.C())
			assert.NoError(t, s.Stop(), "the cancellation Stop caused is not an error")
			assert.NoError(t, s.Stop(), "Stop is idempotent")
			assert.EqualValues(t, 1, c.cleanups.Load())
		})
	}
}

func TestStreamSeq(t *testing.T) {
	c := &counter{n: 5, err: errors.New("boom")}
	s := sy.Start(context.Background(), nil, c.produce)
	vs, errs := split(s.Seq())
	assert.Equal(t, seqInts(5), vs)
	require.Len(t, errs, 1)
	assert.EqualError(t, errs[0], "boom")
	assert.PanicsWithValue(t, "synchronicity: Stream.Seq ranged over twice; a stream delivers its values once", func() {
		for range s.Seq() {
		}
	})

	c2 := &counter{n: 1 << 30}
	s2 := sy.Start(context.Background(), nil, c2.produce)
	for v := range s2.Seq() {
		if v == 3 {
			break // stops the stream
		}
	}
	<-s2.C() // drains what was buffered; closed, so this does not block for ever
	assert.EqualValues(t, 1, c2.cleanups.Load())
}

func TestStreamProducerPanic(t *testing.T) {
	l := sy.New()
	p := func(ctx context.Context, yield func(int) bool) error { panic("stream broke") }
	s := sy.Start(context.Background(), l, p)
	for range s.C() {
	}
	pe := catchPanic(t, func() { s.Stop() })
	assert.Equal(t, "stream broke", pe.Value)
	assert.NoError(t, l.Close(), "an observed panic is not reported again")

	l2 := sy.New(sy.OnPanic(func(*sy.PanicError) {}))
	s2 := sy.Start(context.Background(), l2, p)
	for range s2.C() {
	}
	err := l2.Close()
	runtime.KeepAlive(s2) // collected, it would be reported before Close
	var pe2 *sy.PanicError
	require.ErrorAs(t, err, &pe2, "Close reports the panic nobody observed")
	assert.Equal(t, "stream broke", pe2.Value)
}

func TestStreamCloseInFlight(t *testing.T) {
	l := sy.New()
	var cs []*counter
	var ss []*sy.Stream[int]
	for range 10 {
		c := &counter{n: 1 << 30}
		cs = append(cs, c)
		ss = append(ss, sy.Start(context.Background(), l, c.produce))
	}
	require.NoError(t, l.Close())
	for i, s := range ss {
		for range s.C() {
		}
		assert.ErrorIs(t, s.Stop(), sy.ErrClosed)
		assert.EqualValues(t, 1, cs[i].cleanups.Load())
	}
	assert.ErrorIs(t, sy.Start(context.Background(), l, cs[0].produce).Stop(), sy.ErrClosed)
}

// Ranging the channel of a stream whose handle was dropped at once, the
// most natural idiom, delivers every value however often the collector
// runs meanwhile; one abandoned half-read is stopped by its loop's Close.
func TestStreamChannelOutlivesItsHandle(t *testing.T) {
	l := sy.New()
	const n = 5000
	c := &counter{n: n}
	got := 0
	for v := range sy.Start(context.Background(), l, c.produce, sy.Prefetch(4)).C() {
		require.Equal(t, got, v)
		if got++; got%100 == 0 {
			runtime.GC()
		}
	}
	assert.Equal(t, n, got)
	assert.EqualValues(t, 1, c.cleanups.Load())

	abandoned := &counter{n: 1 << 30}
	ch := sy.Start(context.Background(), l, abandoned.produce).C()
	<-ch
	for range 10 {
		runtime.GC()
		runtime.Gosched()
	}
	assert.EqualValues(t, 0, abandoned.cleanups.Load(), "stopped while its channel was held")
	require.NoError(t, l.Close())
	assert.EqualValues(t, 1, abandoned.cleanups.Load())
	runtime.KeepAlive(ch)
}

func TestStreamStopOnClosedLoop(t *testing.T) {
	l := sy.New()
	require.NoError(t, l.Close())
	s := sy.Start(context.Background(), l, func(context.Context, func(int) bool) error { return nil })
	assert.ErrorIs(t, s.Stop(), sy.ErrClosed)
}

// On a serial or locked loop's own goroutine, ranging over a stream of the
// loop's own with Seq, or stopping it, runs the producer's steps there as
// they come: every value arrives, a break stops the producer and its
// cleanup runs once, and an error comes last, as from any other goroutine.
func TestSerialRangeOwnStreamRunsIt(t *testing.T) {
	boom := errors.New("boom")
	for _, opt := range []sy.Option{sy.Serial(), sy.LockOSThread()} {
		l := sy.New(opt)
		t.Cleanup(func() { assert.NoError(t, l.Close()) })
		_, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
			c := &counter{n: 20, err: boom}
			var got []int
			var last error
			for v, err := range sy.Start(ctx, l, c.produce, sy.Prefetch(3)).Seq() {
				if err != nil {
					last = err
					break
				}
				got = append(got, v)
			}
			assert.Equal(t, seqInts(20), got)
			assert.ErrorIs(t, last, boom)
			assert.EqualValues(t, 1, c.cleanups.Load())

			c = &counter{n: 1000}
			n := 0
			for _, err := range sy.Start(ctx, l, c.produce).Seq() {
				require.NoError(t, err)
				if n++; n == 5 {
					break
				}
			}
			assert.EqualValues(t, 1, c.cleanups.Load(), "a break stops the producer")

			c = &counter{n: 1000}
			s := sy.Start(ctx, l, c.produce)
			assert.NoError(t, s.Stop())
			assert.EqualValues(t, 1, c.cleanups.Load(), "Stop stops the producer")
			return 0, nil
		})
		require.NoError(t, err)
	}
}
