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
//     detail and reason, so NOT_FOUND upstream is NOT_FOUND here. An upstream's
//     INTERNAL is this service's UPSTREAM_FAILURE: its bug is our dependency
//     failing. The detail is cut to 1 KiB on a UTF-8 character boundary; a
//     reason over 64 bytes is dropped, since a cut one would be a different
//     token.
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
// UpstreamStatus for logs; neither is shown to a client. FromResponse reads at
// most 64 KiB of the body and leaves closing it to the caller.
//
// The code describes the upstream's answer to this service, which is what a
// retry loop needs. Before returning such an error to this service's own
// client, decide what it means there: an upstream's VALIDATION or NOT_FOUND
// may be the client's doing (a proxied lookup) or this service's bug (a
// request it built wrongly), which the client should see as a 502.
func FromResponse(resp *http.Response) error {
	if resp == nil {
		return Internal(errors.New("result: FromResponse: nil response"))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	service := ""
	if resp.Request != nil && resp.Request.URL != nil {
		service = resp.Request.URL.Host
	}
	cause := fmt.Errorf("upstream %s responded %d %s", cmp.Or(service, "(unknown host)"), resp.StatusCode, http.StatusText(resp.StatusCode))
	after, _ := retryafter.Parse(resp.Header.Get("Retry-After"), time.Now(), maxRetryAfter)

	var e *Error
	if p, ok := readProblem(resp); ok {
		if after == 0 && p.RetryAfter > 0 {
			after = time.Duration(min(p.RetryAfter, int64(maxRetryAfter/time.Second))) * time.Second
		}
		code := p.Code
		if code == CodeInternal {
			code = CodeUpstreamFailure
		}
		detail := cut(p.Detail, maxDetail)
		if detail == "" {
			detail = code.Title()
		}
		reason := p.Reason
		if len(reason) > maxReason {
			reason = ""
		}
		e = &Error{Code: code, Message: detail, Reason: reason}
	} else {
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			e = RateLimited(0)
		case http.StatusServiceUnavailable:
			e = Unavailable("", 0)
		default:
			e = UpstreamFailure("", 0, nil)
		}
	}
	if e.Code == CodeRateLimited || e.Code == CodeUnavailable {
		e.After = after
	}
	e.Service = service
	e.UpstreamStatus = resp.StatusCode
	e.Cause = cause
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
