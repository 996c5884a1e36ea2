package retrybench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/hardenkit/harden/retry"
	"github.com/hashicorp/go-retryablehttp"
)

// flakyServer answers 503 to every odd request and 200 with a short body to
// every even one, so a client that retries once gets through. It counts the
// requests it served.
func flakyServer(tb testing.TB) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "busy")
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	tb.Cleanup(srv.Close)
	return srv, &n
}

// httpClients returns an *http.Client per contender, all over the same
// base transport with zero delay between attempts and at most four
// attempts: by hand (a loop that drains and closes the 503 and sends
// again), harden's Transport, and go-retryablehttp's standard client.
func httpClients(tb testing.TB) []struct {
	name string
	c    *http.Client
} {
	base := &http.Transport{MaxIdleConnsPerHost: 4}
	tb.Cleanup(base.CloseIdleConnections)

	hp := retry.Policy{MaxAttempts: 4, Logger: quiet,
		Schedule: func() backoff.BackOff { return &backoff.ZeroBackOff{} }}

	rc := retryablehttp.NewClient()
	rc.HTTPClient = &http.Client{Transport: base}
	rc.Logger = nil // its default logs every request to stderr
	rc.RetryMax = 3
	rc.RetryWaitMin, rc.RetryWaitMax = 0, 0
	rc.Backoff = func(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 }

	return []struct {
		name string
		c    *http.Client
	}{
		{"by-hand", &http.Client{Transport: byHand{base}}},
		{"harden", &http.Client{Transport: retry.Transport(base, hp)}},
		{"retryablehttp", rc.StandardClient()},
	}
}

// byHand is the least a retrying RoundTripper can do: resend after a 503,
// draining and closing the discarded response so its connection is reused.
type byHand struct{ base http.RoundTripper }

func (t byHand) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := t.base.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusServiceUnavailable || attempt == 4 {
			return resp, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
}

func get(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// BenchmarkHTTP measures a GET that gets a 503 and then, retried at once,
// a 200, over loopback to an httptest server: two round trips, so most of
// the time is the network stack's, shared by all.
func BenchmarkHTTP(b *testing.B) {
	srv, served := flakyServer(b)
	ctx := context.Background()
	for _, c := range httpClients(b) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			before := served.Load()
			for b.Loop() {
				code, err := get(ctx, c.c, srv.URL)
				if err != nil || code != http.StatusOK {
					b.Fatalf("got %d, %v", code, err)
				}
			}
			if got := served.Load() - before; got != 2*int64(b.N) {
				b.Fatalf("server saw %d requests for %d calls, want two each", got, b.N)
			}
		})
	}
}

// TestSameHTTP checks that each client turns a 503 then 200 into one 200
// after exactly two requests.
func TestSameHTTP(t *testing.T) {
	srv, served := flakyServer(t)
	for _, c := range httpClients(t) {
		before := served.Load()
		code, err := get(context.Background(), c.c, srv.URL)
		if err != nil || code != http.StatusOK || served.Load()-before != 2 {
			t.Errorf("%s: got %d, %v after %d requests; want 200 after 2", c.name, code, err, served.Load()-before)
		}
	}
}
