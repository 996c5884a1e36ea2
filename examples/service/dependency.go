package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hardenkit/harden/health"
	"github.com/hardenkit/harden/logx"
	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/retry"
)

// The service's one dependency is a quota service, asked before a project is
// created how many projects the owner may have:
//
//	GET {DEPENDENCY_URL}/v1/quotas?owner=ada@example.com
//	200 {"owner": "ada@example.com", "max_projects": 5}
//
// Readiness asks GET {DEPENDENCY_URL}/healthz.

// quotaClient calls the quota service. It is safe for concurrent use.
type quotaClient struct {
	base   string       // no trailing slash
	client *http.Client // logx.Transport over retry.Transport
	plain  *http.Client // no retries, for the health check: it runs again soon anyway
}

// maxQuotaBody bounds how much of an answer is read.
const maxQuotaBody = 64 << 10

// newQuotaClient returns a client for the quota service at base whose calls,
// retries included, end after timeout.
func newQuotaClient(base string, timeout time.Duration, logger *slog.Logger) *quotaClient {
	policy := retry.Policy{
		MaxAttempts:    3,
		AttemptTimeout: timeout / 3,     // a hung first attempt leaves room for two more
		MaxRetryAfter:  2 * time.Second, // honour Retry-After, up to what a caller would wait
		Budget:         retry.NewBudget(nil),
		Logger:         logger,
	}
	// A transport of our own: the default keeps 2 idle connections per host,
	// so under load most calls would open a new one.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 32
	return &quotaClient{
		base: base,
		client: &http.Client{
			// logx outside retry: the request ID is stamped once and every
			// attempt carries it; retry sits on the network transport, so
			// it judges each attempt by the answer the service really sent.
			Transport: logx.Transport(retry.Transport(transport, policy)),
			Timeout:   timeout, // the whole call, retries and waits included
		},
		plain: &http.Client{Transport: transport, Timeout: timeout},
	}
}

// MaxProjects returns how many projects owner may have. Its errors are
// *result.Error values a handler can return as they are.
func (q *quotaClient) MaxProjects(ctx context.Context, owner string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q.base+"/v1/quotas?"+url.Values{"owner": {owner}}.Encode(), nil)
	if err != nil {
		return 0, result.Internal(fmt.Errorf("quota request: %w", err))
	}
	resp, err := q.client.Do(req)
	if err != nil {
		return 0, callError(ctx, err)
	}
	defer resp.Body.Close()
	if err := result.FromResponse(resp); err != nil {
		return 0, upstreamError(err)
	}
	var body struct {
		MaxProjects int `json:"max_projects"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxQuotaBody)).Decode(&body); err != nil {
		return 0, result.UpstreamFailure("quota", resp.StatusCode, fmt.Errorf("decode quota: %w", err))
	}
	if body.MaxProjects < 0 {
		return 0, result.UpstreamFailure("quota", resp.StatusCode, fmt.Errorf("quota of %s is negative: %d", owner, body.MaxProjects))
	}
	return body.MaxProjects, nil
}

// upstreamError adjusts an error from result.FromResponse. Its 5xx codes stay
// (a 503 stays UNAVAILABLE, with its Retry-After), but a 4xx is about our
// call, not our client's request: passed on, a VALIDATION problem would tell
// the client to fix a request that has nothing wrong with it. So a 429
// becomes UNAVAILABLE after the same delay, any other 4xx UPSTREAM_FAILURE.
func upstreamError(err error) error {
	e, ok := errors.AsType[*result.Error](err)
	if !ok || e.HTTPStatus() >= 500 {
		return err
	}
	if e.Code == result.CodeRateLimited {
		return result.Unavailable("quota_rate_limited", e.After).WithMessage("the quota service is busy; try again later").WithCause(err)
	}
	return result.UpstreamFailure("quota", e.UpstreamStatus, err)
}

// callError maps a call that got no answer to a result error.
func callError(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled): // the client went away
		return result.Canceled(err)
	case ctx.Err() != nil:
		return result.Timeout(err)
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return result.Timeout(fmt.Errorf("quota service: %w", err))
	}
	return result.UpstreamFailure("quota", 0, err)
}

// healthCheck is the readiness check of the quota service.
func (q *quotaClient) healthCheck() func(context.Context) error {
	return health.HTTPGet(q.plain, q.base+"/healthz", http.StatusOK)
}

// CloseIdleConnections closes the connections kept for reuse.
func (q *quotaClient) CloseIdleConnections() { q.plain.CloseIdleConnections() }

// standInQuota is the quota the stand-in gives every owner.
const standInQuota = 5

// startStandIn serves a stand-in for the quota service on a loopback port,
// so the service runs with nothing else installed, and returns its URL and a
// function that stops it.
func startStandIn(ctx context.Context, failureRate float64, logger *slog.Logger) (string, func(), error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("quota stand-in: %w", err)
	}
	logger = logger.With("component", "quota-stand-in")
	srv := &http.Server{Handler: standInHandler(failureRate, logger), ReadHeaderTimeout: readHeaderTimeout}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	logger.InfoContext(ctx, "quota stand-in listening", "addr", ln.Addr().String(), "failure_rate", failureRate)
	return "http://" + ln.Addr().String(), func() { _ = srv.Close(); <-done }, nil
}

// standInHandler is the stand-in. It fails the given share of quota calls
// with 503, every other failure with Retry-After: 1, spread evenly from the
// first call on (the n-th call fails when fewer than n × share have), so the
// first project created already shows a retry in the logs. logx.Middleware
// takes the caller's request ID, so its lines carry the API request's ID.
func standInHandler(failureRate float64, logger *slog.Logger) http.Handler {
	var mu sync.Mutex
	var calls, failures int64
	failPPM := int64(failureRate*1e6 + 0.5) // in integers, so 0.3 × 10 is exactly 3
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/quotas", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		fail := failures < (calls*failPPM+1e6-1)/1e6 // ceil(calls × share)
		if fail {
			failures++
		}
		after := time.Duration(failures%2) * time.Second
		mu.Unlock()
		if fail {
			logger.DebugContext(r.Context(), "quota stand-in: failing this call on purpose", "retry_after", after)
			result.WriteProblem(w, r, result.Unavailable("overloaded", after).WithMessage("the quota service is overloaded"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"owner": r.URL.Query().Get("owner"), "max_projects": standInQuota})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return logx.Middleware(&logx.MiddlewareOptions{Logger: logger, SkipAccessLog: func(*http.Request) bool { return true }})(mux)
}
