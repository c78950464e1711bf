//go:build unix

package synchronicity_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	sy "github.com/synchronicity-go/synchronicity"
)

// The interrupt tests run in a child process, since an interrupt that is
// not caught ends the process.
const interruptEnv = "SYNCHRONICITY_INTERRUPT_CHILD"

func TestCancelOnInterrupt(t *testing.T) {
	t.Run("busy loop cancels its work", func(t *testing.T) {
		out, err := interruptChild(t, "busy")
		require.NoError(t, err, out)
		assert.Equal(t, "cancelled: synchronicity: interrupted\nthen: synchronicity.Call: synchronicity: loop closed (synchronicity: interrupted)\n", out)
	})
	t.Run("idle loops let the process be interrupted", func(t *testing.T) {
		out, err := interruptChild(t, "idle")
		assertInterrupted(t, err)
		assert.Empty(t, out)
	})
	t.Run("the default loop leaves interrupts to the application", func(t *testing.T) {
		out, err := interruptChild(t, "app")
		require.NoError(t, err, out)
		assert.Equal(t, "handled by the application\ndefault loop: 1 <nil>\n", out)
	})
	t.Run("an idle loop leaves the interrupt to the application, once", func(t *testing.T) {
		out, err := interruptChild(t, "app+idle")
		require.NoError(t, err, out)
		assert.Equal(t, "handled by the application\nloop: 1 <nil>\n", out)
	})
	t.Run("second interrupt ends the process", func(t *testing.T) {
		out, err := interruptChild(t, "twice")
		assertInterrupted(t, err)
		assert.Equal(t, "cancelled\n", out)
	})
}

func interruptChild(t *testing.T, mode string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestInterruptChild$")
	cmd.Env = append(os.Environ(), interruptEnv+"="+mode)
	out, err := cmd.Output()
	return strings.TrimSuffix(string(out), "PASS\n"), err
}

func assertInterrupted(t *testing.T, err error) {
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	ws := exit.Sys().(syscall.WaitStatus)
	assert.True(t, ws.Signaled() && ws.Signal() == syscall.SIGINT, "want death by SIGINT, got %v", exit)
}

// TestInterruptChild is the child process of TestCancelOnInterrupt.
func TestInterruptChild(t *testing.T) {
	mode := os.Getenv(interruptEnv)
	if mode == "" {
		t.Skip("runs as a child of TestCancelOnInterrupt")
	}
	interrupt := func() { _ = syscall.Kill(os.Getpid(), syscall.SIGINT) }
	if mode == "app" { // the application's own handler, and only the default loop
		caught := make(chan os.Signal, 1)
		signal.Notify(caught, os.Interrupt)
		defer signal.Stop(caught)
		v, err := sy.Call(context.Background(), nil, func(ctx context.Context) (int, error) {
			interrupt()
			<-caught
			fmt.Println("handled by the application")
			return 1, ctx.Err()
		})
		if err == nil {
			v, err = sy.Call(context.Background(), nil, func(ctx context.Context) (int, error) { return 1, nil })
		}
		fmt.Println("default loop:", v, err)
		return
	}
	_ = (*sy.Loop)(nil).Context() // the default loop, idle, must not end the process early either
	l := sy.New(sy.CancelOnInterrupt())
	defer l.Close()
	switch mode {
	case "busy":
		_, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
			interrupt()
			<-ctx.Done()
			return 0, context.Cause(ctx)
		})
		fmt.Println("cancelled:", err)
		_, err = sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 0, nil })
		fmt.Println("then:", err)
		if !errors.Is(err, sy.ErrInterrupted) {
			os.Exit(3)
		}
	case "app+idle":
		caught := make(chan os.Signal, 2)
		signal.Notify(caught, os.Interrupt)
		defer signal.Stop(caught)
		interrupt()
		<-caught
		fmt.Println("handled by the application")
		// A second delivery of the same interrupt, as a re-raised signal
		// would be, comes within microseconds; this bounds only how long
		// the test looks for a signal that must not come.
		select {
		case <-caught:
			fmt.Println("delivered twice")
		case <-time.After(200 * time.Millisecond):
		}
		v, err := sy.Call(context.Background(), l, func(ctx context.Context) (int, error) { return 1, nil })
		fmt.Println("loop:", v, err)
	case "idle":
		interrupt()
		time.Sleep(time.Minute) // the interrupt ends the process first
	case "twice":
		_, _ = sy.Call(context.Background(), l, func(ctx context.Context) (int, error) {
			interrupt()
			<-ctx.Done()
			fmt.Println("cancelled")
			interrupt()
			time.Sleep(time.Minute)
			return 0, nil
		})
	}
}
