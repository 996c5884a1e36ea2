package ratelimit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hardenkit/harden/ratelimit"
	"github.com/hardenkit/harden/result"
)

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

func get(h http.Handler, remote string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/projects", nil)
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestHandlerConcurrentClients sends 100 concurrent clients from one
// address at a limit of 30: exactly 30 get through.
func TestHandlerConcurrentClients(t *testing.T) {
	h := ratelimit.New(ratelimit.PerHour(30), nil).Handler(ok)
	var passed, refused atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			switch w := get(h, "192.0.2.1:1234"); w.Code {
			case http.StatusNoContent:
				passed.Add(1)
			case http.StatusTooManyRequests:
				refused.Add(1)
			default:
				t.Errorf("status %d", w.Code)
			}
		})
	}
	wg.Wait()
	if passed.Load() != 30 || refused.Load() != 70 {
		t.Errorf("%d passed, %d refused; want 30 and 70", passed.Load(), refused.Load())
	}
}

// TestHandlerAnswers checks the headers of allowed and refused requests,
// and the refusal's problem, on the fake clock.
func TestHandlerAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := ratelimit.New(ratelimit.PerMinute(2), &ratelimit.Options{Name: "search"}).Handler(ok)
		for i, want := range []string{`"search";r=1;t=30`, `"search";r=0;t=60`} {
			w := get(h, "192.0.2.1:1234")
			if w.Code != http.StatusNoContent || w.Header().Get("RateLimit") != want || w.Header().Get("RateLimit-Policy") != `"search";q=2;w=60` {
				t.Fatalf("request %d: %d %v, want 204 with RateLimit %s", i+1, w.Code, w.Header(), want)
			}
		}
		w := get(h, "192.0.2.1:1234")
		var p result.Problem
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusTooManyRequests || p.Code != result.CodeRateLimited || w.Header().Get("Retry-After") != "30" ||
			w.Header().Get("RateLimit") != `"search";r=0;t=60` {
			t.Fatalf("request 3: %d %v %s, want 429 RATE_LIMITED with Retry-After 30", w.Code, w.Header(), w.Body)
		}
		if w := get(h, "192.0.2.2:1234"); w.Code != http.StatusNoContent {
			t.Errorf("another client: %d, want 204: keys are independent", w.Code)
		}
		time.Sleep(30 * time.Second)
		if w := get(h, "192.0.2.1:1234"); w.Code != http.StatusNoContent {
			t.Errorf("after Retry-After: %d, want 204", w.Code)
		}
	})
}

// TestHandlerIPv6Block checks that addresses in one /64 share a limit.
func TestHandlerIPv6Block(t *testing.T) {
	h := ratelimit.New(ratelimit.PerHour(1), nil).Handler(ok)
	if w := get(h, "[2001:db8::1]:1"); w.Code != http.StatusNoContent {
		t.Fatalf("first: %d", w.Code)
	}
	if w := get(h, "[2001:db8::2]:1"); w.Code != http.StatusTooManyRequests {
		t.Errorf("same /64: %d, want 429", w.Code)
	}
	if w := get(h, "[2001:db8:0:1::1]:1"); w.Code != http.StatusNoContent {
		t.Errorf("next /64: %d, want 204", w.Code)
	}
}

// TestHandlerSpoofedForwardedFor checks that an untrusted client cannot
// escape its limit by inventing X-Forwarded-For addresses, while a trusted
// proxy's clients are told apart.
func TestHandlerSpoofedForwardedFor(t *testing.T) {
	opts := &ratelimit.Options{TrustedProxies: trusted}
	h := ratelimit.New(ratelimit.PerHour(1), opts).Handler(ok)
	codes := func(remote string) (got []int) {
		for i := range 3 {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = remote
			r.Header.Set("X-Forwarded-For", "198.51.100."+string(rune('1'+i)))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got = append(got, w.Code)
		}
		return got
	}
	if got := codes("203.0.113.9:5555"); got[0] != 204 || got[1] != 429 || got[2] != 429 {
		t.Errorf("untrusted peer with three invented addresses: %v, want 204 429 429", got)
	}
	if got := codes("10.0.0.1:5555"); got[0] != 204 || got[1] != 204 || got[2] != 204 {
		t.Errorf("trusted proxy with three clients: %v, want 204 each", got)
	}
}

// failingStore fails every decision.
type failingStore struct{}

func (failingStore) Allow(context.Context, string, string, ratelimit.Limit) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, errors.New("store down")
}

func TestStoreFailure(t *testing.T) {
	for _, failOpen := range []bool{false, true} {
		var logs bytes.Buffer
		l := ratelimit.New(ratelimit.PerHour(1), &ratelimit.Options{
			Store: failingStore{}, FailOpen: failOpen, Name: "api",
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		})
		d, err := l.Allow(context.Background(), "k")
		if err == nil || !strings.Contains(err.Error(), "ratelimit: api: store down") || d.Allowed != failOpen {
			t.Errorf("FailOpen %v: Allow = %+v, %v; want Allowed %v and the store's error", failOpen, d, err, failOpen)
		}
		w := get(l.Handler(ok), "192.0.2.1:1")
		want := http.StatusServiceUnavailable
		if failOpen {
			want = http.StatusNoContent
		}
		if w.Code != want || w.Header().Get("RateLimit") != "" {
			t.Errorf("FailOpen %v: handler answered %d %v, want %d without RateLimit", failOpen, w.Code, w.Header(), want)
		}
		// Two failures, one line: the log is throttled.
		if n := strings.Count(logs.String(), "rate limit failed"); n != 1 || !strings.Contains(logs.String(), "store down") {
			t.Errorf("FailOpen %v: logged %q, want one line with the error", failOpen, logs.String())
		}
	}
}

func TestBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		limit ratelimit.Limit
		name  string
		want  string
	}{
		{ratelimit.Limit{}, "", "rate is not positive"},
		{ratelimit.Limit{Rate: 1}, "", "period is not positive"},
		{ratelimit.PerSecond(2_000_000), "", "more than one request a microsecond"},
		{ratelimit.Limit{Rate: 1, Period: time.Second, Burst: -1}, "", "burst is negative"},
		{ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 1 << 20}, "", "ten years"},
		{ratelimit.PerHour(1), "naïve", `name "naïve": not printable ASCII`},
	} {
		l := ratelimit.New(tc.limit, &ratelimit.Options{Name: tc.name, FailOpen: true})
		d, err := l.Allow(context.Background(), "k")
		if err == nil || !strings.Contains(err.Error(), tc.want) || d.Allowed {
			t.Errorf("%+v %q: %+v, %v; want refused with %q", tc.limit, tc.name, d, err, tc.want)
		}
	}
}

func TestKeyError(t *testing.T) {
	l := ratelimit.New(ratelimit.PerHour(1), &ratelimit.Options{
		Key:    func(*http.Request) (string, error) { return "", result.Unauthorized("no API key") },
		Logger: slog.New(slog.DiscardHandler),
	})
	if w := get(l.Handler(ok), "192.0.2.1:1"); w.Code != http.StatusUnauthorized {
		t.Errorf("Key returning UNAUTHORIZED: %d, want 401", w.Code)
	}
	l = ratelimit.New(ratelimit.PerHour(1), &ratelimit.Options{Logger: slog.New(slog.DiscardHandler)})
	if w := get(l.Handler(ok), "@"); w.Code != http.StatusInternalServerError {
		t.Errorf("a remote address that is no IP: %d, want 500", w.Code)
	}
}
