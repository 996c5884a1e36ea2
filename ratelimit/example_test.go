package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/hardenkit/harden/ratelimit"
)

// One Limiter per route: a tight limit on writes, a looser one on reads.
func ExampleLimiter_Handler() {
	create := ratelimit.New(ratelimit.PerMinute(2), &ratelimit.Options{Name: "create"})
	read := ratelimit.New(ratelimit.PerSecond(30), &ratelimit.Options{Name: "read"})

	mux := http.NewServeMux()
	mux.Handle("POST /projects", create.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	mux.Handle("GET /projects", read.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))

	var w *httptest.ResponseRecorder
	for range 3 {
		w = httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/projects", nil))
		fmt.Println(w.Code, w.Header().Get("RateLimit"))
	}
	fmt.Println("RateLimit-Policy:", w.Header().Get("RateLimit-Policy"))
	fmt.Println("Retry-After:", w.Header().Get("Retry-After"))
	// Output:
	// 201 "create";r=1;t=30
	// 201 "create";r=0;t=60
	// 429 "create";r=0;t=60
	// RateLimit-Policy: "create";q=2;w=60
	// Retry-After: 30
}

func ExampleLimiter_Allow() {
	l := ratelimit.New(ratelimit.PerHour(3), nil)
	for range 4 {
		d, err := l.Allow(context.Background(), "user-42")
		fmt.Println(d.Allowed, d.Remaining, err)
	}
	// Output:
	// true 2 <nil>
	// true 1 <nil>
	// true 0 <nil>
	// false 0 <nil>
}

// Behind a load balancer at 10.0.0.0/8, the client is the address the
// balancer puts in X-Forwarded-For; from anyone else that header is ignored.
func ExampleClientIP() {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:40000"
	r.Header.Set("X-Forwarded-For", "198.51.100.7")
	ip, _ := ratelimit.ClientIP(r, trusted)
	fmt.Println(ip)

	r.RemoteAddr = "203.0.113.9:40000" // not a proxy of ours
	ip, _ = ratelimit.ClientIP(r, trusted)
	fmt.Println(ip)
	// Output:
	// 198.51.100.7
	// 203.0.113.9
}

// Keys can be anything a request carries; a Key error refuses the request.
func ExampleOptions_key() {
	l := ratelimit.New(ratelimit.PerMinute(60), &ratelimit.Options{
		Name: "api",
		Key: func(r *http.Request) (string, error) {
			return r.Header.Get("X-API-Key"), nil
		},
	})
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-API-Key", "k-123")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("RateLimit"))
	// Output: 200 "api";r=59;t=1
}

func ExampleNewMemoryStore() {
	// One store for several Limiters: each Name keeps its own counts.
	store := ratelimit.NewMemoryStore(50_000)
	login := ratelimit.New(ratelimit.PerMinute(5), &ratelimit.Options{Store: store, Name: "login"})
	search := ratelimit.New(ratelimit.PerMinute(30), &ratelimit.Options{Store: store, Name: "search"})
	d1, _ := login.Allow(context.Background(), "192.0.2.1")
	d2, _ := search.Allow(context.Background(), "192.0.2.1")
	fmt.Println(d1.Remaining, d2.Remaining)
	// Output: 4 29
}

func ExamplePerMinute() {
	l := ratelimit.PerMinute(5)
	fmt.Println(l.Interval(), l.BurstSize(), l.Validate())
	// Output: 12s 5 <nil>
}
