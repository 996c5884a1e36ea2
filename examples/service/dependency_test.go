package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hardenkit/harden/logx"
	"github.com/hardenkit/harden/result"
)

var discard = slog.New(slog.DiscardHandler)

// TestStandInFailureShare checks that the stand-in fails exactly the share
// it is given, starting with the first call, spread out, and with
// Retry-After on every other failure, the first included.
func TestStandInFailureShare(t *testing.T) {
	for _, rate := range []float64{0, 0.1, 0.3, 0.5, 0.75, 1} {
		h := standInHandler(rate, discard)
		const calls = 1000
		failures, prevFailed, consecutive := 0, false, false
		for n := 1; n <= calls; n++ {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/quotas?owner=ada@example.com", nil))
			fail := w.Code == http.StatusServiceUnavailable
			after := w.Header().Get("Retry-After") != ""
			if !fail && (w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"max_projects":5`)) {
				t.Fatalf("rate %v, call %d: %d %s", rate, n, w.Code, w.Body)
			}
			if n == 1 && fail != (rate > 0) {
				t.Errorf("rate %v: first call failed = %v, want %v", rate, fail, rate > 0)
			}
			if fail {
				failures++
				if wantAfter := failures%2 == 1; after != wantAfter {
					t.Errorf("rate %v: failure %d has Retry-After %v, want one: %v", rate, failures, after, wantAfter)
				}
				consecutive = consecutive || prevFailed
			}
			prevFailed = fail
		}
		if want := int(rate * calls); failures != want {
			t.Errorf("rate %v: %d of %d calls failed, want %d", rate, failures, calls, want)
		}
		if rate <= 0.5 && consecutive {
			t.Errorf("rate %v: two calls in a row failed", rate)
		}
	}
}

// recordingStandIn runs the stand-in behind a handler that records the
// request ID of every call to /v1/quotas.
func recordingStandIn(t *testing.T, rate float64) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var ids []string
	inner := standInHandler(rate, discard)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/quotas" {
			mu.Lock()
			ids = append(ids, r.Header.Get(logx.HeaderRequestID))
			mu.Unlock()
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), ids...)
	}
}

func TestQuotaClientRetriesUnderTheCallersRequestID(t *testing.T) {
	srv, calls := recordingStandIn(t, 0.3) // the first call fails
	q := newQuotaClient(srv.URL, 5*time.Second, discard)
	defer q.CloseIdleConnections()

	ctx := logx.WithRequestID(t.Context(), "req-42")
	got, err := q.MaxProjects(ctx, "ada@example.com")
	if err != nil || got != standInQuota {
		t.Fatalf("MaxProjects = %d, %v; want %d, nil", got, err, standInQuota)
	}
	ids := calls()
	if len(ids) != 2 || ids[0] != "req-42" || ids[1] != "req-42" {
		t.Errorf("the stand-in saw calls with request IDs %q, want a failure and its retry, both req-42", ids)
	}
	if err := q.healthCheck()(t.Context()); err != nil {
		t.Errorf("health check: %v", err)
	}
}

func TestQuotaClientErrors(t *testing.T) {
	t.Run("unavailable", func(t *testing.T) {
		srv, calls := recordingStandIn(t, 1)
		q := newQuotaClient(srv.URL, 5*time.Second, discard)
		defer q.CloseIdleConnections()
		_, err := q.MaxProjects(t.Context(), "ada@example.com")
		if code := result.CodeOf(err); code != result.CodeUnavailable {
			t.Errorf("code %s (%v), want UNAVAILABLE", code, err)
		}
		if n := len(calls()); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		q := newQuotaClient("http://"+addr, 5*time.Second, discard)
		defer q.CloseIdleConnections()
		_, err = q.MaxProjects(t.Context(), "ada@example.com")
		if code := result.CodeOf(err); code != result.CodeUpstreamFailure {
			t.Errorf("code %s (%v), want UPSTREAM_FAILURE", code, err)
		}
		if q.healthCheck()(t.Context()) == nil {
			t.Error("health check passed with nothing listening")
		}
	})

	// A hung dependency: each attempt times out, then the call does.
	t.Run("hangs", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		defer srv.Close()
		q := newQuotaClient(srv.URL, 300*time.Millisecond, discard)
		defer q.CloseIdleConnections()
		start := time.Now()
		_, err := q.MaxProjects(t.Context(), "ada@example.com")
		if code := result.CodeOf(err); code != result.CodeTimeout {
			t.Errorf("code %s (%v), want TIMEOUT", code, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("MaxProjects took %v with a 300ms timeout", d)
		}
	})

	t.Run("caller gone", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		defer srv.Close()
		q := newQuotaClient(srv.URL, 5*time.Second, discard)
		defer q.CloseIdleConnections()
		ctx, cancel := context.WithCancel(t.Context())
		stop := time.AfterFunc(50*time.Millisecond, cancel) // the client hangs up
		defer stop.Stop()
		_, err := q.MaxProjects(ctx, "ada@example.com")
		if code := result.CodeOf(err); code != result.CodeCanceled {
			t.Errorf("code %s (%v), want CANCELED", code, err)
		}
	})

	t.Run("upstream 4xx is not the client's fault", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Query().Get("owner") {
			case "busy@example.com":
				result.WriteProblem(w, r, result.RateLimited(3*time.Second))
			default:
				result.WriteProblem(w, r, result.Validation(result.Violation{Pointer: "/owner", Rule: "required", Message: "is required"}))
			}
		}))
		defer srv.Close()
		q := newQuotaClient(srv.URL, 5*time.Second, discard)
		defer q.CloseIdleConnections()

		_, err := q.MaxProjects(t.Context(), "ada@example.com")
		e, ok := errors.AsType[*result.Error](err)
		if !ok || e.Code != result.CodeUpstreamFailure || e.Retryable() {
			t.Errorf("upstream VALIDATION: %v; want an UPSTREAM_FAILURE that is not retried", err)
		}
		_, err = q.MaxProjects(t.Context(), "busy@example.com")
		e, ok = errors.AsType[*result.Error](err)
		if !ok || e.Code != result.CodeUnavailable || e.After != 3*time.Second {
			t.Errorf("upstream RATE_LIMITED: %v; want UNAVAILABLE after 3s", err)
		}
	})

	t.Run("bad answer", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"max_projects": "lots"}`)
		}))
		defer srv.Close()
		q := newQuotaClient(srv.URL, 5*time.Second, discard)
		defer q.CloseIdleConnections()
		_, err := q.MaxProjects(t.Context(), "ada@example.com")
		if code := result.CodeOf(err); code != result.CodeUpstreamFailure {
			t.Errorf("code %s (%v), want UPSTREAM_FAILURE", code, err)
		}
	})
}
