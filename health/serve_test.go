package health

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

var quiet = slog.New(slog.DiscardHandler)

// startServe runs Serve on 127.0.0.1:0 and returns the base URL and the
// channel Serve's result arrives on.
func startServe(t *testing.T, ctx context.Context, h http.Handler, c *Checker, opts *ServeOptions) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln, c, opts) }()
	return "http://" + ln.Addr().String(), done
}

// get fetches url with a client that keeps no idle connections.
func get(url string) (int, string, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

func TestServeDrainsThenShutsDown(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "db", Critical: true, Probes: Liveness | Readiness, Func: pass})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const delay = 200 * time.Millisecond
	base, done := startServe(t, ctx, c.Handler(), c, &ServeOptions{DrainDelay: delay, Logger: quiet})

	if code, _, err := get(base + "/readyz"); err != nil || code != 200 {
		t.Fatalf("readyz before shutdown: %d %v", code, err)
	}
	stop := time.Now()
	cancel()
	// During the drain delay the server still answers, with readiness red
	// and liveness green.
	for {
		code, body, err := get(base + "/readyz")
		if err != nil {
			t.Fatalf("server stopped serving during the drain delay: %v", err)
		}
		if code == 503 {
			if !strings.Contains(body, "shutting down") {
				t.Errorf("readyz while draining: %s", body)
			}
			break
		}
	}
	if code, _, err := get(base + "/livez"); err != nil || code != 200 {
		t.Errorf("livez while draining: %d %v, want 200", code, err)
	}
	if err := wait(t, done); err != nil {
		t.Errorf("Serve = %v, want nil after a clean shutdown", err)
	}
	if d := time.Since(stop); d < delay {
		t.Errorf("Serve returned %v after the stop, before the %v drain delay", d, delay)
	}
	if _, _, err := get(base + "/livez"); err == nil {
		t.Error("server still answers after Serve returned")
	}
}

func TestServeLetsInFlightRequestsFinish(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	base, done := startServe(t, ctx, h, nil, &ServeOptions{DrainDelay: time.Millisecond, Logger: quiet})
	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		_, body, err := get(base + "/slow")
		res <- result{body, err}
	}()
	<-entered
	cancel()
	// Release the request only once Shutdown has closed the listener.
	for {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			break
		}
		conn.Close()
		time.Sleep(time.Millisecond)
	}
	close(release)
	if r := <-res; r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request: %q %v, want finished", r.body, r.err)
	}
	if err := wait(t, done); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

func TestServeShutdownTimeout(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	base, done := startServe(t, ctx, h, nil, &ServeOptions{DrainDelay: time.Millisecond, ShutdownTimeout: 20 * time.Millisecond, Logger: quiet})
	got := make(chan error, 1)
	go func() {
		_, _, err := get(base + "/stuck")
		got <- err
	}()
	<-entered
	cancel()
	err := wait(t, done)
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "health: shutdown: requests still running after the 20ms shutdown timeout") {
		t.Errorf("Serve = %v, want an error saying requests outlived the 20ms shutdown timeout", err)
	}
	if err := <-got; err == nil {
		t.Error("stuck request completed; want its connection closed")
	}
}

func TestServeReportsServerFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	err = Serve(context.Background(), &http.Server{ReadHeaderTimeout: time.Second}, ln, nil, &ServeOptions{Logger: quiet})
	if err == nil || !strings.HasPrefix(err.Error(), "health: serve: ") {
		t.Errorf("Serve on a closed listener = %v, want health: serve: ...", err)
	}
}

func TestServeRejectsNil(t *testing.T) {
	if err := Serve(context.Background(), nil, nil, nil, nil); err == nil {
		t.Error("Serve(nil server) = nil")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := Serve(context.Background(), nil, ln, nil, nil); err == nil {
		t.Error("Serve(nil server) = nil")
	}
	if _, err := ln.Accept(); err == nil {
		t.Error("Serve left the listener open")
	}
	if err := ListenAndServe(context.Background(), nil, nil, nil); err == nil {
		t.Error("ListenAndServe(nil server) = nil")
	}
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = Serve(context.Background(), &http.Server{}, ln, nil, &ServeOptions{DrainDelay: -1})
	if err == nil || !strings.Contains(err.Error(), "negative DrainDelay -1ns") {
		t.Errorf("Serve with DrainDelay -1 = %v, want an error naming it", err)
	}
	if _, err := ln.Accept(); err == nil {
		t.Error("Serve left the listener open")
	}
}

func TestListenAndServe(t *testing.T) {
	err := ListenAndServe(context.Background(), &http.Server{Addr: "127.0.0.1:-1"}, nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "health: listen tcp") {
		t.Errorf("bad address: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = ListenAndServe(ctx, &http.Server{Addr: "127.0.0.1:0", ReadHeaderTimeout: time.Second}, nil,
		&ServeOptions{DrainDelay: time.Millisecond, Logger: quiet})
	if err != nil {
		t.Errorf("ListenAndServe with a context already done = %v, want nil (a clean stop)", err)
	}
}
