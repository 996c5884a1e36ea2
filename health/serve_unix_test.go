//go:build unix

package health

import (
	"context"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServeStopsOnSignal(t *testing.T) {
	c, _, _ := newTestChecker(t, nil)
	// SIGUSR1 stands in for SIGTERM, which would end the test binary if
	// anything went wrong.
	base, done := startServe(t, context.Background(), c.Handler(), c,
		&ServeOptions{DrainDelay: -1, Signals: []os.Signal{syscall.SIGUSR1}, Logger: quiet})
	// Serve registers for signals before it serves, so an answer means
	// the signal will reach it.
	if code, _, err := get(base + "/livez"); err != nil || code != 200 {
		t.Fatalf("livez: %d %v", code, err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	if !c.Draining() {
		t.Error("Serve did not drain the checker")
	}
}

func TestServeSecondSignalSkipsDrainDelay(t *testing.T) {
	c, _, _ := newTestChecker(t, nil)
	base, done := startServe(t, context.Background(), c.Handler(), c,
		&ServeOptions{DrainDelay: time.Hour, Signals: []os.Signal{syscall.SIGUSR2}, Logger: quiet})
	if _, _, err := get(base + "/livez"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	// Signals of one kind do not queue: send the second once the first
	// has been handled.
	deadline := time.Now().Add(5 * time.Second)
	for !c.Draining() {
		if time.Now().After(deadline) {
			t.Fatal("first signal not handled")
		}
		time.Sleep(time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

func TestServeSecondSignalClosesConnections(t *testing.T) {
	c, _, _ := newTestChecker(t, nil)
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	mux := http.NewServeMux()
	mux.Handle("/livez", c.Handler())
	mux.HandleFunc("/stuck", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	base, done := startServe(t, context.Background(), mux, c,
		&ServeOptions{DrainDelay: -1, ShutdownTimeout: time.Hour, Signals: []os.Signal{syscall.SIGUSR1}, Logger: quiet})
	got := make(chan error, 1)
	go func() {
		_, _, err := get(base + "/stuck")
		got <- err
	}()
	<-entered
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !c.Draining() {
		if time.Now().After(deadline) {
			t.Fatal("first signal not handled")
		}
		time.Sleep(time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	err := wait(t, done)
	if err == nil || !strings.Contains(err.Error(), "health: shutdown: connections closed by signal user defined signal 1") {
		t.Errorf("Serve = %v, want the forced close reported", err)
	}
	if err := <-got; err == nil {
		t.Error("stuck request completed; want its connection closed")
	}
}

// A context from signal.NotifyContext on the same signal ends, and Serve
// receives that signal too: one signal must not count as two and skip the
// drain delay. Cancelling the context by hand and then sending one signal
// reproduces the order deterministically.
func TestServeContextThenOneSignalKeepsDrainDelay(t *testing.T) {
	c, _, _ := newTestChecker(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const delay = 300 * time.Millisecond
	base, done := startServe(t, ctx, c.Handler(), c,
		&ServeOptions{DrainDelay: delay, Signals: []os.Signal{syscall.SIGUSR1}, Logger: quiet})
	if _, _, err := get(base + "/livez"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for !c.Draining() {
		if time.Now().After(deadline) {
			t.Fatal("context end not handled")
		}
		time.Sleep(time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("Serve returned after %v; one signal after the context ended cut the %v drain delay short", took, delay)
	}
}
