package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/retry"
)

// maxResponseBytes bounds how much of an answer is read.
const maxResponseBytes = 1 << 20

// enricher posts one record at a time to the dependency, under a retry policy.
type enricher struct {
	url    string
	client *http.Client
	policy retry.Policy
}

// newEnricher returns an enricher that posts records to url. The client has
// no overall timeout: the policy's AttemptTimeout bounds each attempt, body
// included, and the caller's context bounds them all.
func newEnricher(url string, policy retry.Policy) *enricher {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = policy.AttemptTimeout
	return &enricher{url: url, client: &http.Client{Transport: transport}, policy: policy} //hardenvet:ignore clienttimeout AttemptTimeout bounds each attempt, body included
}

// Enrich sends one record and returns the dependency's JSON answer and how
// many calls it took. A 4xx answer, made a *result.Error by
// result.FromResponse, is not retried; connection errors, timeouts, 429 and
// 5xx are, after their Retry-After.
func (e *enricher) Enrich(ctx context.Context, id string, record []byte) (json.RawMessage, int, error) {
	attempts := 0
	v, err := retry.DoValue(ctx, e.policy, func(ctx context.Context) (json.RawMessage, error) {
		attempts++
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(record))
		if err != nil {
			return nil, retry.Permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		// The dependency may see a record twice: after a lost answer, or
		// when a run killed after the call is resumed from its checkpoint.
		req.Header.Set(retry.HeaderIdempotencyKey, id)
		resp, err := e.client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if err := result.FromResponse(resp); err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
		if err != nil {
			return nil, err
		}
		if len(body) > maxResponseBytes || !json.Valid(body) {
			return nil, result.UpstreamFailure(req.URL.Host, resp.StatusCode, fmt.Errorf("answer is not a JSON value of at most %d bytes", maxResponseBytes))
		}
		return body, nil
	})
	return v, attempts, err
}

// Close releases the client's idle connections.
func (e *enricher) Close() { e.client.CloseIdleConnections() }

// startStandIn serves a stand-in for the dependency on loopback, so the job
// runs with nothing else installed, and returns its URL and a function that
// stops it. It fails like a busy service: a share (failRate) of the records
// get a 503 or a 429, with Retry-After, once or twice before their call
// succeeds. Which ones is decided by a hash of the record's ID, so runs
// repeat. A record without an "id", or with a missing or negative "amount",
// gets a 400 VALIDATION problem, which is not worth retrying.
func startStandIn(failRate float64, retryAfter time.Duration) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("stand-in dependency: %w", err)
	}
	var mu sync.Mutex
	calls := map[string]int{} // by record ID
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/enrich", func(w http.ResponseWriter, r *http.Request) {
		var rec struct {
			ID     string   `json:"id"`
			Amount *float64 `json:"amount"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, maxResponseBytes)).Decode(&rec); err != nil || rec.ID == "" || rec.Amount == nil || *rec.Amount < 0 {
			result.WriteProblem(w, r, result.Validation(result.Violation{Rule: "record", Message: `must be an object with an "id" and an "amount" of at least 0`}))
			return
		}
		sum := sha256.Sum256([]byte(rec.ID))
		h := binary.BigEndian.Uint64(sum[:])
		failures := 0 // how many calls for this record fail before one succeeds
		if float64(h>>11)/(1<<53) < failRate {
			failures = 1 + int(h&1)
		}
		mu.Lock()
		calls[rec.ID]++
		n := calls[rec.ID]
		mu.Unlock()
		switch {
		case n <= failures && h&2 == 0:
			result.WriteProblem(w, r, result.Unavailable("overloaded", retryAfter))
		case n <= failures:
			result.WriteProblem(w, r, result.RateLimited(retryAfter))
		default:
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"id": rec.ID, "risk_score": h % 100, "segment": [...]string{"bronze", "silver", "gold"}[h>>8%3]})
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }() //hardenvet:ignore healthroute a stand-in for the dependency, not a service of the job's own
	return "http://" + ln.Addr().String() + "/v1/enrich", func() { _ = srv.Close(); <-done }, nil
}

// recordIDKey is the context key of the record being processed. The logger
// adds its value to every line logged with the context: the retry warnings,
// for one.
type recordIDKey struct{}

// recordIDAttr is the logx.Extractor for recordIDKey.
func recordIDAttr(ctx context.Context) slog.Attr {
	if id, _ := ctx.Value(recordIDKey{}).(string); id != "" {
		return slog.String("record_id", id)
	}
	return slog.Attr{}
}
