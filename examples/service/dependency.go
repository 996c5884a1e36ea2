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

// The service's one outbound dependency is a quota service: before creating
// a project, POST /projects asks it how many projects the owner may have.
//
//	GET {DEPENDENCY_URL}/v1/quotas?owner=ada@example.com
//	200 {"owner": "ada@example.com", "max_projects": 5}
//
// and readiness asks GET {DEPENDENCY_URL}/healthz. Unless DEPENDENCY_URL is
// set, the service starts a stand-in for it on a loopback port of its own
// (newStandIn) that fails a share of calls, so the retries can be seen.

// quotaClient calls the quota service. It is safe for concurrent use.
type quotaClient struct {
	base   string       // no trailing slash
	client *http.Client // logx.Transport over retry.Transport
	probe  *http.Client // no retries: a health check is bounded by its own timeout
}

// maxQuotaBody bounds how much of a quota response is read: a dependency
// that sends megabytes by mistake must not become our memory problem.
const maxQuotaBody = 64 << 10

// quotaPolicy is how calls to the quota service are retried.
func quotaPolicy(timeout time.Duration, logger *slog.Logger) retry.Policy {
	return retry.Policy{
		// At most 3 attempts; each may take a third of the whole call, so a
		// hung first attempt still leaves room for another.
		MaxAttempts:    3,
		AttemptTimeout: timeout / 3,
		// Honour the quota service's Retry-After, but never wait longer than
		// a caller of POST /projects would.
		MaxRetryAfter: 2 * time.Second,
		// Shared by every call: while the quota service is failing, retries
		// add at most about 10% to its load instead of multiplying it.
		Budget: retry.NewBudget(nil),
		Logger: logger,
	}
}

// newQuotaClient returns a client for the quota service at base, whose
// calls, retries included, end after timeout, retried under policy.
func newQuotaClient(base string, timeout time.Duration, policy retry.Policy) *quotaClient {
	// A transport of our own rather than http.DefaultTransport: its pool is
	// tuned for this dependency, and nothing else in the process can change
	// it. The default keeps only 2 idle connections per host, so under load
	// most calls would open (and leave in TIME_WAIT) a new connection.
	var transport *http.Transport
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = t.Clone()
	} else {
		transport = &http.Transport{Proxy: http.ProxyFromEnvironment}
	}
	transport.MaxIdleConnsPerHost = 32

	return &quotaClient{
		base: base,
		client: &http.Client{
			// logx outside, retry inside. The request ID and traceparent
			// belong to the logical call: logx.Transport stamps them once,
			// and retry.Transport sends a clone of the stamped request for
			// each attempt, so every attempt reaches the quota service under
			// the caller's request ID. (The other way round the headers come
			// out the same, but logx would copy every attempt, and whatever
			// reports once per call, such as a client span, belongs outside
			// the retries.) retry.Transport sits directly on the network
			// transport, so it judges each attempt by the response the
			// quota service really sent, its status and Retry-After, and
			// nothing below it retries again.
			Transport: logx.Transport(retry.Transport(transport, policy)),
			// The client's Timeout bounds the whole call, retries and their
			// waits included; retry does not start a wait that would end
			// after it.
			Timeout: timeout,
		},
		probe: &http.Client{Transport: transport, Timeout: timeout},
	}
}

// quota is the quota service's answer.
type quota struct {
	Owner       string `json:"owner"`
	MaxProjects int    `json:"max_projects"`
}

// MaxProjects returns how many projects owner may have. Its errors are
// *result.Error values a handler can return as they are: the quota service's
// 5xx answers keep their code through result.FromResponse (a 503 stays
// UNAVAILABLE with its Retry-After), its 4xx answers are our failure, not
// the client's (see upstreamError), a call that ran out of time is TIMEOUT,
// and anything else is UPSTREAM_FAILURE.
func (q *quotaClient) MaxProjects(ctx context.Context, owner string) (int, error) {
	u := q.base + "/v1/quotas?" + url.Values{"owner": {owner}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, result.Internal(fmt.Errorf("quota request: %w", err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := q.client.Do(req)
	if err != nil {
		return 0, callError(ctx, err)
	}
	defer resp.Body.Close()
	if err := result.FromResponse(resp); err != nil {
		return 0, upstreamError(err)
	}
	var body quota
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxQuotaBody)).Decode(&body); err != nil {
		return 0, result.UpstreamFailure("quota", resp.StatusCode, fmt.Errorf("decode quota: %w", err))
	}
	if body.MaxProjects < 0 {
		return 0, result.UpstreamFailure("quota", resp.StatusCode, fmt.Errorf("quota for %s is negative: %d", owner, body.MaxProjects))
	}
	return body.MaxProjects, nil
}

// upstreamError adjusts an error from result.FromResponse for our own
// client. FromResponse keeps the quota service's code, which is right for
// its 5xx answers: UNAVAILABLE stays UNAVAILABLE, with its Retry-After. But
// a 4xx from the quota service is about our call to it, not about our
// client's request: passed on, a VALIDATION problem would tell the client to
// fix a request that has nothing wrong with it. So a 429 becomes
// UNAVAILABLE (try again after the same delay), and any other 4xx
// UPSTREAM_FAILURE, a 502 that is not retried.
func upstreamError(err error) error {
	e := result.As(err)
	if e == nil || e.HTTPStatus() >= 500 {
		return err
	}
	if e.Code == result.CodeRateLimited {
		return result.Unavailable("quota_rate_limited", e.After).
			WithMessage("the quota service is busy; try again later").WithCause(err)
	}
	return result.UpstreamFailure("quota", e.UpstreamStatus, err)
}

// callError maps a failed call (no response at all) to a result error.
func callError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		// The caller's own context ended: the client went away or its
		// deadline passed. Not the dependency's fault.
		if errors.Is(ctx.Err(), context.Canceled) {
			return result.Canceled(err)
		}
		return result.Timeout(err)
	}
	// Out of time: the client's Timeout, or every attempt's AttemptTimeout.
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return result.Timeout(fmt.Errorf("quota service: %w", err))
	}
	return result.UpstreamFailure("quota", 0, err)
}

// healthCheck returns the readiness check of the quota service: GET /healthz
// answered with 200. It does not retry: the check runs again soon anyway.
func (q *quotaClient) healthCheck() func(context.Context) error {
	return health.HTTPGet(q.probe, q.base+"/healthz", http.StatusOK)
}

// CloseIdleConnections closes the connections kept for reuse, at shutdown.
func (q *quotaClient) CloseIdleConnections() {
	q.client.CloseIdleConnections()
	q.probe.CloseIdleConnections()
}

// standInQuota is the quota every owner gets from the stand-in.
const standInQuota = 5

// standIn stands in for the quota service on loopback, so the service runs
// with nothing else installed. It fails a share of calls to /v1/quotas with
// 503, every second failure with Retry-After: 1, to show how retries and
// Retry-After look in the logs. The failures are spread evenly and start
// with the first call, so the first project created already shows a retry:
// with a share of 0.3, calls 1, 4, 7, 11, 14, 17, 21 … fail, and two calls in
// a row fail only when the share is over one half. /healthz always answers
// 200. It is safe for concurrent use.
type standIn struct {
	failPPM int64 // the share of calls that fail, in parts per million
	logger  *slog.Logger

	mu       sync.Mutex
	calls    int64
	failures int64
}

func newStandIn(failureRate float64, logger *slog.Logger) *standIn {
	return &standIn{failPPM: int64(failureRate*1e6 + 0.5), logger: logger}
}

// Handler returns the stand-in's HTTP handler. logx.Middleware gives it the
// caller's request ID (sent by logx.Transport), so its debug lines carry the
// same request_id as the API request that made the call.
func (s *standIn) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/quotas", s.quota)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return logx.Middleware(&logx.MiddlewareOptions{
		Logger:        s.logger,
		SkipAccessLog: func(*http.Request) bool { return true }, // the API logs its own calls
	})(mux)
}

// fail reports whether this call should fail and, if so, with which
// Retry-After: the n-th call fails when fewer than n × share calls have.
func (s *standIn) fail() (bool, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	// ceil(calls × share), in integers so 0.3 × 10 is exactly 3.
	want := (s.calls*s.failPPM + 1e6 - 1) / 1e6
	if s.failures >= want {
		return false, 0
	}
	s.failures++
	if s.failures%2 == 0 {
		return true, time.Second
	}
	return true, 0
}

func (s *standIn) quota(w http.ResponseWriter, r *http.Request) {
	if fail, after := s.fail(); fail {
		s.logger.DebugContext(r.Context(), "quota stand-in: failing this call on purpose", "retry_after", after)
		result.WriteProblem(w, r, result.Unavailable("overloaded", after).WithMessage("the quota service is overloaded"))
		return
	}
	owner := r.URL.Query().Get("owner")
	if owner == "" {
		result.WriteProblem(w, r, result.Validation(result.Violation{
			Pointer: "/owner", Rule: "required", Message: "is required"}))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(quota{Owner: owner, MaxProjects: standInQuota})
}
