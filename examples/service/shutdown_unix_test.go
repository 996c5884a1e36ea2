//go:build unix

package main

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testGracefulShutdown sends SIGTERM while a slow request is in flight and
// checks the order of a graceful shutdown: readiness answers 503 at once,
// the request in flight still completes, and the process exits 0.
func testGracefulShutdown(t *testing.T, s *service) {
	type answer struct {
		status int
		body   string
		err    error
	}
	slow := make(chan answer, 1)
	go func() {
		resp, err := s.client.Get(s.base + "/debug/slow?for=3s")
		if err != nil {
			slow <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- answer{resp.StatusCode, string(b), err}
	}()
	s.logs.waitFor(t, "the slow request to start", func(l logLine) bool {
		return l.str("msg") == "debug: slow request started"
	})

	sent := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	var last string
	s.poll(t, "/readyz to answer 503 after SIGTERM", func() bool {
		resp, err := s.client.Get(s.base + "/readyz")
		if err != nil {
			last = err.Error()
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		last = resp.Status + " " + string(b)
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	if !strings.Contains(last, "shutting down") {
		t.Errorf("/readyz after SIGTERM: %s; want it to say it is shutting down", last)
	}
	select {
	case a := <-slow:
		t.Fatalf("the slow request ended (%d %s %v) before readiness went red", a.status, a.body, a.err)
	default:
	}
	t.Logf("readiness went red %v after SIGTERM, with the slow request in flight", time.Since(sent).Round(time.Millisecond))

	select {
	case a := <-slow:
		if a.err != nil || a.status != http.StatusOK || !strings.Contains(a.body, `"slept":"3s"`) {
			t.Errorf("the request in flight at SIGTERM got %d %q, %v; want 200 and its body", a.status, a.body, a.err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("the request in flight at SIGTERM did not complete in %v", waitTimeout)
	}

	select {
	case <-s.exited:
	case <-time.After(waitTimeout):
		t.Fatalf("the service did not exit within %v of SIGTERM", waitTimeout)
	}
	if s.waitErr != nil {
		t.Fatalf("the service exited with %v, want exit status 0", s.waitErr)
	}
	t.Logf("the service exited 0, %v after SIGTERM", time.Since(sent).Round(time.Millisecond))

	shutdown := s.logs.waitFor(t, "the shutdown line", func(l logLine) bool { return l.str("msg") == "health: shutting down" })
	if !strings.Contains(shutdown.str("reason"), "terminated") {
		t.Errorf("shutdown line %s; want the reason SIGTERM", shutdown.raw)
	}
	lines := s.logs.snapshot()
	if last := lines[len(lines)-1]; last.str("msg") != "service stopped" {
		t.Errorf("last log line %s, want \"service stopped\"", last.raw)
	}
}
