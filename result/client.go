package result

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/hardenkit/harden/internal/retryafter"
)

// Bounds on what FromResponse takes from an upstream, so that a confused or
// hostile server cannot park its callers for days or fill their logs. A
// reason over its bound is dropped, not cut: a cut one is a different token.
const (
	maxRetryAfter  = time.Hour
	maxProblemBody = 64 << 10
	maxDetail      = 1 << 10
	maxReason      = 64
)

// FromResponse turns an upstream's response into an error for the caller to
// return or retry: nil for a 2xx response, otherwise a *Error whose Service
// is the upstream's host and UpstreamStatus its status (see Error.Retryable).
//
//   - An application/problem+json body (at most 64 KiB are read) with a known
//     code keeps its code, detail (cut to 1 KiB) and reason (dropped over 64
//     bytes); an upstream's INTERNAL is this service's UPSTREAM_FAILURE.
//   - Otherwise a 429 becomes RATE_LIMITED, a 503 UNAVAILABLE, and anything
//     else UPSTREAM_FAILURE.
//   - A RATE_LIMITED or UNAVAILABLE error keeps the delay of the Retry-After
//     header (seconds or an HTTP-date; a malformed value is ignored), or else
//     the problem's retry_after, bounded by an hour.
//
// The caller closes the body. The code is the upstream's answer to this
// service; an upstream's NOT_FOUND may be a 502 to this service's client.
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

// cut returns s cut to at most n bytes, dropping invalid UTF-8 such as a
// character split at the cut.
func cut(s string, n int) string { return strings.ToValidUTF8(s[:min(n, len(s))], "") }

// readProblem decodes a problem+json body with a known code.
func readProblem(resp *http.Response) (Problem, bool) {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")) // a bad parameter still gives mt
	if resp.Body == nil || mt != ContentTypeProblem {
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
