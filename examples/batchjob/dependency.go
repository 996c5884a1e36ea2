package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/retry"
)

// maxResponseBytes bounds how much of a dependency's answer is read.
const maxResponseBytes = 1 << 20

// enricher calls the enrichment dependency for one record at a time, under a
// retry policy. It is safe for concurrent use.
type enricher struct {
	url    string
	client *http.Client
	policy retry.Policy
}

// newEnricher returns an enricher that POSTs records to url. The client has
// no overall timeout of its own: the policy's AttemptTimeout bounds each
// attempt, body included, and the caller's context bounds them all.
func newEnricher(url string, policy retry.Policy) *enricher {
	return &enricher{
		url: url,
		client: &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: policy.AttemptTimeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       30 * time.Second,
		}},
		policy: policy,
	}
}

// Enrich sends one record and returns the dependency's JSON answer and how
// many calls it took. Errors are the *retry.Error of the last attempt: a 4xx
// answer (turned into a *result.Error by result.FromResponse) is not retried;
// connection errors, timeouts, 429 and 5xx are, honouring Retry-After.
func (e *enricher) Enrich(ctx context.Context, id string, record []byte) (json.RawMessage, int, error) {
	attempts := 0
	v, err := retry.DoValue(ctx, e.policy, func(ctx context.Context) (json.RawMessage, error) {
		attempts++
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(record))
		if err != nil {
			return nil, retry.Permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		// The dependency may see a record twice: after a lost answer, or when
		// a run killed after the call is resumed from its checkpoint.
		req.Header.Set(retry.HeaderIdempotencyKey, id)
		resp, err := e.client.Do(req)
		if err != nil {
			return nil, err // connection errors and timeouts: retried
		}
		defer func() {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
			resp.Body.Close()
		}()
		if err := result.FromResponse(resp); err != nil {
			return nil, err // RATE_LIMITED, UNAVAILABLE …: retried after Retry-After; VALIDATION …: not
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
		if err != nil {
			return nil, err
		}
		if len(body) > maxResponseBytes || !json.Valid(body) {
			return nil, result.UpstreamFailure(req.URL.Host, resp.StatusCode,
				fmt.Errorf("answer is not a JSON value of at most %d bytes", maxResponseBytes))
		}
		return json.RawMessage(body), nil
	})
	return v, attempts, err
}

// Close releases the client's idle connections.
func (e *enricher) Close() { e.client.CloseIdleConnections() }

// standInConfig configures the stand-in dependency.
type standInConfig struct {
	// FailRate is the share of calls answered with 503 or 429.
	FailRate float64
	// FailMax is the most calls in a row for one record that fail; the next
	// one succeeds. With FailMax below the retry policy's MaxAttempts, every
	// valid record succeeds in the end.
	FailMax int
	// Latency is how long each answer takes.
	Latency time.Duration
	// RetryAfter is sent with failures, rounded up to whole seconds; 0 sends
	// none.
	RetryAfter time.Duration
}

// standIn is a small enrichment service on loopback that fails like a busy
// one: a share of calls get 503 or 429 with Retry-After. Which calls fail is
// decided by a hash of the record's ID and how many of its calls failed in a
// row, so a run is reproducible and no record fails more than FailMax times
// in a row. Records without an "id" or with a negative or missing "amount"
// get a 400 VALIDATION problem, which is not worth retrying.
type standIn struct {
	cfg   standInConfig
	srv   *http.Server
	url   string
	done  chan struct{}
	calls atomic.Int64
	fails atomic.Int64

	mu      sync.Mutex
	failing map[string]int // consecutive failures so far, by record ID
}

// startStandIn starts the stand-in on a loopback port.
func startStandIn(cfg standInConfig) (*standIn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("stand-in dependency: %w", err)
	}
	s := &standIn{cfg: cfg, failing: map[string]int{}, done: make(chan struct{}), url: "http://" + ln.Addr().String() + "/v1/enrich"}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/enrich", s.enrich)
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// URL returns the endpoint records are posted to.
func (s *standIn) URL() string { return s.url }

// Close stops the stand-in and waits until it has stopped serving.
func (s *standIn) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// Stats returns how many calls the stand-in answered and how many of those
// it failed on purpose.
func (s *standIn) Stats() (calls, failed int64) { return s.calls.Load(), s.fails.Load() }

func (s *standIn) enrich(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	var rec struct {
		ID     string   `json:"id"`
		Amount *float64 `json:"amount"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxResponseBytes)).Decode(&rec); err != nil {
		result.WriteProblem(w, r, result.Validation(result.Violation{Pointer: "", Rule: "type", Message: "must be a JSON object"}))
		return
	}
	switch {
	case rec.ID == "":
		result.WriteProblem(w, r, result.Validation(result.Violation{Pointer: "/id", Rule: "required", Message: "is required"}))
		return
	case rec.Amount == nil:
		result.WriteProblem(w, r, result.Validation(result.Violation{Pointer: "/amount", Rule: "required", Message: "is required"}))
		return
	case *rec.Amount < 0:
		result.WriteProblem(w, r, result.Validation(result.Violation{Pointer: "/amount", Rule: "min", Param: "0", Message: "must not be negative"}))
		return
	}
	if s.cfg.Latency > 0 {
		t := time.NewTimer(s.cfg.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	h := hash64(rec.ID)
	s.mu.Lock()
	n := s.failing[rec.ID]
	fail := n < s.cfg.FailMax && unitFloat(h^uint64(n+1)*0x9e3779b97f4a7c15) < s.cfg.FailRate
	if fail {
		s.failing[rec.ID] = n + 1
	} else {
		delete(s.failing, rec.ID)
	}
	s.mu.Unlock()

	if fail {
		s.fails.Add(1)
		if (h>>uint(n))&1 == 0 {
			result.WriteProblem(w, r, result.Unavailable("overloaded", s.cfg.RetryAfter))
		} else {
			result.WriteProblem(w, r, result.RateLimited(s.cfg.RetryAfter))
		}
		return
	}
	segments := [...]string{"bronze", "silver", "gold", "platinum"}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id":         rec.ID,
		"risk_score": h % 100,
		"segment":    segments[(h>>8)%uint64(len(segments))],
	})
}

// hash64 is FNV-1a: stable across runs and platforms, unlike maphash.
func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, s)
	return mix(h.Sum64())
}

// mix spreads the bits of x (the SplitMix64 finalizer), since FNV's low bits
// vary little between IDs that differ only in their last characters.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unitFloat maps x to [0, 1).
func unitFloat(x uint64) float64 { return float64(mix(x)>>11) / (1 << 53) }
