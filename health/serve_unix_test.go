//go:build unix

package health

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// The caller stops Serve with a context from signal.NotifyContext.
func TestServeStopsOnNotifyContext(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	// SIGUSR1 stands in for SIGTERM, which would end the test binary if
	// anything went wrong.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGUSR1)
	defer stop()
	base, done := startServe(t, ctx, c.Handler(), c, &ServeOptions{DrainDelay: time.Millisecond, Logger: quiet})
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

// Serve installs no signal handler of its own: SIGINT, which the test
// catches so that it does not end the binary, leaves it serving.
func TestServeIgnoresSignals(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(caught)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startServe(t, ctx, c.Handler(), c, &ServeOptions{DrainDelay: time.Millisecond, Logger: quiet})
	if _, _, err := get(base + "/livez"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-caught
	if code, _, err := get(base + "/readyz"); err != nil || code != 200 || c.Draining() {
		t.Errorf("after SIGINT: readyz %d %v, draining %v; want still serving, not draining", code, err, c.Draining())
	}
	cancel()
	if err := wait(t, done); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}
