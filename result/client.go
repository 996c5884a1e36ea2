package result

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/hardenkit/harden/internal/retryafter"
)

// Bounds on what FromResponse takes from an upstream: the delay, so a
// confused or hostile server cannot park its callers for days; the body it
// reads; the detail it keeps, in bytes; and a reason's length, since a reason
// is a short token and a cut one would be a different token.
const (
	maxRetryAfter  = time.Hour
	maxProblemBody = 64 << 10
	maxDetail      = 1 << 10
	maxReason      = 64
)

// FromResponse turns an upstream's response into an error for the caller to
// return or retry: nil for a 2xx response, otherwise a *Error.
//
//   - An application/problem+json body with a known code keeps its code,
//     detail (cut to 1 KiB) and reason (dropped over 64 bytes), so NOT_FOUND
//     upstream is NOT_FOUND here; an upstream's INTERNAL is this service's
//     UPSTREAM_FAILURE.
//   - Otherwise a 429 becomes RATE_LIMITED, a 503 UNAVAILABLE, and anything
//     else UPSTREAM_FAILURE.
//   - A RATE_LIMITED or UNAVAILABLE error keeps the delay of the Retry-After
//     header (seconds or an HTTP-date; a malformed value is ignored), or else
//     the problem's retry_after, bounded by an hour, so a rate limit two
//     services away still reaches a retry loop as a delay hint.
//
// An UPSTREAM_FAILURE is retryable only when the upstream's status is worth
// another attempt: 408, 429, 502, 503 or 504, the statuses the retry
// package's Transport retries. A 500 or 501, any other 4xx and a 3xx fail the
// same way again. An error that keeps the upstream's code is retryable as that
// code is.
//
// Every error records the upstream's host as Service and its status as
// UpstreamStatus, for logs only. FromResponse reads at most 64 KiB of the body
// and leaves closing it to the caller.
//
// The code describes the upstream's answer to this service, as a retry loop
// needs. Before returning it to this service's own client, decide what it
// means there: an upstream's NOT_FOUND may be the client's doing (a proxied
// lookup) or this service's bug, which the client should see as a 502.
func FromResponse(resp *http.Response) error {
	if resp == nil {
		return Internal(errors.New("result: FromResponse: nil response"))
	}
	status := resp.StatusCode
	if status >= 200 && status < 300 {
		return nil
	}
	e := UpstreamFailure("", 0, nil)
	switch p, ok := readProblem(resp); {
	case ok:
		e.Code = p.Code
		if p.Code == CodeInternal {
			e.Code = CodeUpstreamFailure
		}
		e.Message = cmp.Or(cut(p.Detail, maxDetail), e.Code.Title())
		if len(p.Reason) <= maxReason {
			e.Reason = p.Reason
		}
		e.After = time.Duration(min(p.RetryAfter, int64(maxRetryAfter/time.Second))) * time.Second
	case status == http.StatusTooManyRequests:
		e = RateLimited(0)
	case status == http.StatusServiceUnavailable:
		e = Unavailable("", 0)
	}
	if d, _ := retryafter.Parse(resp.Header.Get("Retry-After"), time.Now(), maxRetryAfter); d > 0 {
		e.After = d // the header beats the body
	}
	if e.Code != CodeRateLimited && e.Code != CodeUnavailable || e.After < 0 {
		e.After = 0
	}
	if resp.Request != nil && resp.Request.URL != nil {
		e.Service = resp.Request.URL.Host
	}
	e.UpstreamStatus = status
	e.Cause = fmt.Errorf("upstream %s responded %d %s", cmp.Or(e.Service, "(unknown host)"), status, http.StatusText(status))
	return e
}

// cut returns s cut to at most n bytes without splitting a UTF-8 character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// readProblem decodes a problem+json body with a known code.
func readProblem(resp *http.Response) (Problem, bool) {
	if resp.Body == nil {
		return Problem{}, false
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != ContentTypeProblem {
		return Problem{}, false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProblemBody+1))
	if err != nil || len(body) > maxProblemBody {
		return Problem{}, false
	}
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil || !p.Code.Known() {
		return Problem{}, false
	}
	return p, true
}
