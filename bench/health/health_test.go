package healthbench

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	alex "github.com/alexliesenfeld/health"
	"github.com/hardenkit/harden/health"
	hellofresh "github.com/hellofresh/health-go/v5"
)

// pass is a check that always passes at once: the benchmarks measure the
// libraries, not a dependency.
func pass(context.Context) error { return nil }

var checkNames = []string{"db", "cache"}

// handlers returns a /readyz handler per contender, each with the checks
// db and cache passing. With cached true, results are cached for a minute
// where the library can cache (harden and alexliesenfeld; hellofresh runs
// its checks on every request by design); otherwise caching is turned off
// and every request runs both checks. The bare handler writes harden's
// answer, headers included, with no work at all: the ceiling.
func handlers(tb testing.TB, cached bool) []struct {
	name string
	h    http.Handler
} {
	return handlersWith(tb, cached, func(string) func(context.Context) error { return pass })
}

// handlersWith is handlers with check(contender) as the function of both
// checks of each contender.
func handlersWith(tb testing.TB, cached bool, check func(contender string) func(context.Context) error) []struct {
	name string
	h    http.Handler
} {
	ttl := time.Minute
	if !cached {
		ttl = time.Nanosecond // harden cannot turn its cache off: every request finds the result expired
	}
	hc := health.New(&health.Options{CacheTTL: ttl, Logger: slog.New(slog.DiscardHandler)})
	tb.Cleanup(hc.Close)
	for _, n := range checkNames {
		if err := hc.Add(health.Check{Name: n, Critical: true, Func: check("harden")}); err != nil {
			tb.Fatal(err)
		}
	}
	hardenH := hc.Handler()

	opts := []alex.CheckerOption{alex.WithTimeout(time.Second)}
	if cached {
		opts = append(opts, alex.WithCacheDuration(time.Minute))
	} else {
		opts = append(opts, alex.WithDisabledCache())
	}
	for _, n := range checkNames {
		opts = append(opts, alex.WithCheck(alex.Check{Name: n, Check: check("alexliesenfeld")}))
	}
	ac := alex.NewChecker(opts...)
	tb.Cleanup(ac.Stop)

	hf, err := hellofresh.New(hellofresh.WithComponent(hellofresh.Component{Name: "bench", Version: "v1"}))
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range checkNames {
		if err := hf.Register(hellofresh.Config{Name: n, Timeout: time.Second, Check: check("hellofresh")}); err != nil {
			tb.Fatal(err)
		}
	}

	rec := httptest.NewRecorder()
	hardenH.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("harden /readyz = %d", rec.Code)
	}
	return []struct {
		name string
		h    http.Handler
	}{
		{"bare", bare(rec.Header(), rec.Body.Bytes())},
		{"harden", hardenH},
		{"alexliesenfeld", alex.NewHandler(ac)},
		{"hellofresh", hf.Handler()},
	}
}

// bare returns a handler that writes body with the given headers, doing
// nothing else: the header values are built once and assigned under their
// canonical keys, the cheapest way to write them.
func bare(header http.Header, body []byte) http.Handler {
	ct, cc, nosniff := header.Values("Content-Type"), header.Values("Cache-Control"), header.Values("X-Content-Type-Options")
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

// writer is a ResponseWriter that keeps the status and the byte count and
// nothing else, so the benchmarks measure the handlers rather than a
// recorder. reset makes it ready for the next request.
type writer struct {
	h      http.Header
	code   int
	nbytes int
}

func (w *writer) Header() http.Header { return w.h }
func (w *writer) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.nbytes += len(p)
	return len(p), nil
}
func (w *writer) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *writer) reset() { clear(w.h); w.code, w.nbytes = 0, 0 }

func serve(b *testing.B, h http.Handler, w *writer, r *http.Request) {
	w.reset()
	h.ServeHTTP(w, r)
	if w.code != http.StatusOK || w.nbytes == 0 {
		b.Fatalf("status %d, %d bytes", w.code, w.nbytes)
	}
}

// BenchmarkReadyz measures one GET /readyz whose two check results are
// cached (except for hellofresh, which has no cache and runs both checks,
// each in a goroutine, on every request).
func BenchmarkReadyz(b *testing.B) {
	runSequential(b, handlers(b, true))
}

// BenchmarkReadyzUncached measures one GET /readyz that runs both checks:
// caching is turned off where the library has a cache.
func BenchmarkReadyzUncached(b *testing.B) {
	runSequential(b, handlers(b, false)[1:])
}

// BenchmarkReadyzParallel measures cached /readyz from every core at once
// (b.RunParallel), as a busy load balancer and orchestrator probe it.
func BenchmarkReadyzParallel(b *testing.B) {
	for _, c := range handlers(b, true) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := &writer{h: http.Header{}}
				r := httptest.NewRequest(http.MethodGet, "/readyz", nil)
				for pb.Next() {
					w.reset()
					c.h.ServeHTTP(w, r)
					if w.code != http.StatusOK {
						b.Errorf("status %d", w.code)
						return
					}
				}
			})
		})
	}
}

func runSequential(b *testing.B, hs []struct {
	name string
	h    http.Handler
}) {
	for _, c := range hs {
		b.Run(c.name, func(b *testing.B) {
			w := &writer{h: http.Header{}}
			r := httptest.NewRequest(http.MethodGet, "/readyz", nil)
			b.ReportAllocs()
			for b.Loop() {
				serve(b, c.h, w, r)
			}
		})
	}
}
