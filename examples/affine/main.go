// Command affine drives a thread-affine resource — a stand-in for a C
// library that must only be used from the OS thread that opened it — from
// many goroutines at once, by running every call to it on a loop locked to
// one OS thread.
//
//	go run ./examples/affine
package main

import (
	"context"
	"fmt"
	"iter"
	"log"
	"sync"

	sy "github.com/synchronicity-go/synchronicity"
)

// unknownThread is what threadID returns where it cannot tell threads apart.
const unknownThread = -1

// device is the pretend C library: it remembers the thread that opened it
// and panics when called from any other, as a library with thread-local
// state would misbehave. It is not safe for concurrent use either.
type device struct {
	thread int
	reads  int
}

func openDevice() *device { return &device{thread: threadID()} }

func (d *device) check(op string) {
	if t := threadID(); t != d.thread {
		panic(fmt.Sprintf("device.%s on thread %d, but it was opened on thread %d", op, t, d.thread))
	}
}

func (d *device) read(reg int) int {
	d.check("read")
	d.reads++ // unsynchronised: fine, because only one thread ever gets here
	return reg * reg
}

func (d *device) close() { d.check("close") }

// Sensor is the goroutine-safe face of the device. Every method hands its
// work to a loop locked to one OS thread; callers on any goroutine block
// until it is done, and their context still cancels them.
type Sensor struct {
	loop *sy.Loop
	dev  *device
}

// OpenSensor starts the sensor's thread and opens the device on it.
func OpenSensor(ctx context.Context) (*Sensor, error) {
	l := sy.New(sy.LockOSThread(), sy.Name("sensor"))
	dev, err := sy.Call(ctx, l, func(context.Context) (*device, error) { return openDevice(), nil })
	if err != nil {
		l.Close()
		return nil, err
	}
	return &Sensor{loop: l, dev: dev}, nil
}

// Read reads one register, on the sensor's thread.
func (s *Sensor) Read(ctx context.Context, reg int) (int, error) {
	return sy.Call(ctx, s.loop, func(context.Context) (int, error) { return s.dev.read(reg), nil })
}

// Scan reads registers 0 to n-1 as a sequence. The producer runs on the
// sensor's thread too, one step per value, and other calls interleave
// between its steps.
func (s *Sensor) Scan(ctx context.Context, n int) iter.Seq2[int, error] {
	return sy.Seq(ctx, s.loop, func(ctx context.Context, yield func(int) bool) error {
		for reg := range n {
			if !yield(s.dev.read(reg)) {
				return nil
			}
		}
		return nil
	})
}

// Calibration returns a context manager for a calibration session: the
// device is put in calibration mode on entry and back on exit, both on the
// sensor's thread, while the body runs on the caller's goroutine.
func (s *Sensor) Calibration() sy.ContextManager[int] {
	return sy.OnLoop(s.loop, sy.Scoped(func(ctx context.Context, yield func(int) error) error {
		s.dev.check("calibrate")
		base := s.dev.read(0) + 100
		err := yield(base) // the body runs here
		s.dev.check("end calibration")
		return err
	}))
}

// Close closes the device on its thread, then stops the thread.
func (s *Sensor) Close() error {
	_, err := sy.Call(context.Background(), s.loop, func(context.Context) (struct{}, error) {
		s.dev.close()
		return struct{}{}, nil
	})
	if cerr := s.loop.Close(); err == nil {
		err = cerr
	}
	return err
}

// calibrate uses the sensor's calibration session with a deferred exit.
func calibrate(ctx context.Context, s *Sensor) (err error) {
	base, exit, err := sy.Enter(ctx, s.Calibration())
	if err != nil {
		return err
	}
	defer exit(&err)
	v, err := s.Read(ctx, 3) // other calls still work inside the session
	fmt.Println("calibrated reading:", base+v)
	return err
}

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) (err error) {
	s, err := OpenSensor(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}()
	if s.dev.thread == unknownThread {
		fmt.Println("(this platform cannot name OS threads: the device does not check them)")
	}

	// Many goroutines, one thread: 8 workers read 25 registers each.
	const workers, reads = 8, 25
	var wg sync.WaitGroup
	sums := make([]int, workers)
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for reg := range reads {
				v, err := s.Read(ctx, reg)
				if err != nil {
					errs[w] = err
					return
				}
				sums[w] += v
			}
		}()
	}
	wg.Wait()
	total := 0
	for w := range workers {
		if errs[w] != nil {
			return errs[w]
		}
		total += sums[w]
	}
	fmt.Printf("%d goroutines made %d reads (sum %d), all on the device's thread\n", workers, workers*reads, total)

	// A producer on the same thread, consumed by a range loop here.
	fmt.Print("scan:")
	for v, err := range s.Scan(ctx, 6) {
		if err != nil {
			return err
		}
		fmt.Print(" ", v)
	}
	fmt.Println()

	// A context manager whose setup and teardown run on the thread.
	if err := calibrate(ctx, s); err != nil {
		return err
	}

	// What the loop saves us from: calling the device from this goroutine,
	// which runs on some other thread.
	if s.dev.thread != unknownThread {
		func() {
			defer func() { fmt.Println("direct call panicked:", recover()) }()
			s.dev.read(1)
		}()
	}

	// Only the loop's thread touched reads, so reading it there needs no lock.
	n, err := sy.Call(ctx, s.loop, func(context.Context) (int, error) { return s.dev.reads, nil })
	fmt.Println("device reads in total:", n)
	return err
}
