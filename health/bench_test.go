package health

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkReadyz measures /readyz served from the cached results of
// three passing checks, the probe an orchestrator sends every few
// seconds. The goal: within 2 µs (peer libraries take 4.6 to 5.9 µs).
func BenchmarkReadyz(b *testing.B) {
	c := New(&Options{Logger: quiet, CacheTTL: time.Hour})
	b.Cleanup(c.Close)
	for _, name := range []string{"db", "cache", "queue"} {
		if err := c.Add(Check{Name: name, Critical: true, Func: pass}); err != nil {
			b.Fatal(err)
		}
	}
	h := c.Handler()
	b.Run("sequential", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/readyz", nil)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("code %d", rec.Code)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			req := httptest.NewRequest("GET", "/readyz", nil)
			for pb.Next() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Errorf("code %d", rec.Code)
					return
				}
			}
		})
	})
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
