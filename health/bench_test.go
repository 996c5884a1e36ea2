package health

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// benchChecker has three passing checks whose results are cached.
func benchChecker(b *testing.B) (*Checker, []byte) {
	c := New(&Options{Logger: quiet})
	b.Cleanup(c.Close)
	for _, name := range []string{"db", "cache", "queue"} {
		if err := c.Add(Check{Name: name, Critical: true, Func: pass}); err != nil {
			b.Fatal(err)
		}
	}
	rec := serve(c.Handler(), "GET", "/readyz", nil)
	if rec.Code != 200 {
		b.Fatalf("readyz = %d", rec.Code)
	}
	return c, rec.Body.Bytes()
}

// bareHandler writes the same response as the checker's, headers
// included, with no work at all: the ceiling for /readyz. Like the
// checker, it assigns header values built once under their canonical keys.
func bareHandler(body []byte) http.Handler {
	ct, cc, nosniff := []string{contentTypeJSON}, []string{"no-store"}, []string{"nosniff"}
	clen := []string{strconv.Itoa(len(body))}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = ct
		h["Cache-Control"] = cc
		h["X-Content-Type-Options"] = nosniff
		h["Content-Length"] = clen
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
}

// BenchmarkReadyz compares /readyz served from cached results with a
// bare handler writing the same bytes. The goal: cached >= 0.8x bare
// in requests per second, that is ns/op <= 1.25x.
func BenchmarkReadyz(b *testing.B) {
	c, body := benchChecker(b)
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"bare", bareHandler(body)},
		{"cached", c.Handler()},
	}
	for _, hh := range handlers {
		b.Run(hh.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/readyz", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				hh.h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("code %d", rec.Code)
				}
			}
		})
		b.Run(hh.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/readyz", nil)
				for pb.Next() {
					rec := httptest.NewRecorder()
					hh.h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Errorf("code %d", rec.Code)
						return
					}
				}
			})
		})
	}
}

// BenchmarkReadyzInterleaved serves a request from each handler in turn
// and reports cached requests per second as a fraction of bare ones, so
// drift in a shared machine's speed touches both sides alike.
func BenchmarkReadyzInterleaved(b *testing.B) {
	c, body := benchChecker(b)
	bare, cached := bareHandler(body), c.Handler()
	req := httptest.NewRequest("GET", "/readyz", nil)
	var bareNs, cachedNs time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		bare.ServeHTTP(httptest.NewRecorder(), req)
		t1 := time.Now()
		cached.ServeHTTP(httptest.NewRecorder(), req)
		t2 := time.Now()
		bareNs += t1.Sub(t0)
		cachedNs += t2.Sub(t1)
	}
	b.ReportMetric(float64(bareNs)/float64(cachedNs), "cached/bare-rps")
}

// BenchmarkReadyzHTTP measures requests per second in the sense of the
// goal: real requests over loopback through net/http's server and client,
// one from each handler in turn so drift touches both alike. It reports
// cached requests per second as a fraction of bare ones.
func BenchmarkReadyzHTTP(b *testing.B) {
	c, body := benchChecker(b)
	mux := http.NewServeMux()
	mux.Handle("/bare", bareHandler(body))
	mux.Handle("/readyz", c.Handler())
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	client := srv.Client()
	b.Cleanup(client.CloseIdleConnections)
	get := func(path string) time.Duration {
		start := time.Now()
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return time.Since(start)
	}
	var bareNs, cachedNs time.Duration
	for b.Loop() {
		bareNs += get("/bare")
		cachedNs += get("/readyz")
	}
	b.ReportMetric(float64(bareNs)/float64(cachedNs), "cached/bare-rps")
}

// BenchmarkHungCheckProbe measures how long a probe takes when a check
// ignores its context and never returns. The goal: within the check's
// timeout + 50 ms. It reports the worst overshoot seen.
func BenchmarkHungCheckProbe(b *testing.B) {
	const timeout = 20 * time.Millisecond
	release := make(chan struct{})
	b.Cleanup(func() { close(release) })
	hangs := func(context.Context) error { <-release; return nil }
	var worst time.Duration
	for b.Loop() {
		c := New(&Options{Logger: quiet})
		if err := c.Add(Check{Name: "stuck", Critical: true, Timeout: timeout, Func: hangs}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		rec := serve(c.Handler(), "GET", "/readyz", nil)
		worst = max(worst, time.Since(start)-timeout)
		if rec.Code != 503 {
			b.Fatalf("code %d", rec.Code)
		}
	}
	b.ReportMetric(float64(worst)/float64(time.Millisecond), "worst-overshoot-ms")
}
