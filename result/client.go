package result

import (
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

// MaxRetryAfter bounds the delay FromResponse takes from an upstream's
// Retry-After, so a confused or hostile server cannot park its callers for days.
const MaxRetryAfter = time.Hour

// maxProblemBody is how much of an error response FromResponse reads.
const maxProblemBody = 64 << 10

// maxDetail bounds how much of an upstream's detail is kept, in bytes.
const maxDetail = 1 << 10

// maxReason bounds the length of an upstream's reason, in bytes. A reason is
// a short machine-readable token, so a longer one is dropped rather than cut
// into a different token.
const maxReason = 64

// FromResponse turns an upstream's response into an error for the caller to
// return or retry: nil for a 2xx response, otherwise a *Error.
//
//   - An application/problem+json body with a known code keeps its code,
//     detail and reason, so NOT_FOUND upstream is NOT_FOUND here. An upstream's
//     INTERNAL is this service's UPSTREAM_FAILURE: its bug is our dependency
//     failing. The detail is cut to 1 KiB, on a UTF-8 character boundary; a
//     reason longer than 64 bytes is dropped, since it is not the short token
//     a reason is, and a cut one would be a different token.
//   - A 429 becomes RATE_LIMITED and a 503 UNAVAILABLE, keeping the
//     Retry-After header (seconds or an HTTP-date; bounded by MaxRetryAfter;
//     a malformed value is ignored), so a rate limit two services away still
//     reaches retry as a delay hint.
//   - Anything else is UPSTREAM_FAILURE.
//
// Retryable follows the retry package, which retries 429, 502, 503 and 504
// and holds that a 500 fails the same way again: an UPSTREAM_FAILURE is
// retryable only when the upstream answered 408, 429, 502, 503 or 504, and
// not for a 3xx, a 500 or 501, any other 4xx, or an upstream's INTERNAL
// (sent with its 500). An error that keeps the upstream's code is retryable
// as that code is: an upstream's RATE_LIMITED or UNAVAILABLE is, after its
// Retry-After; its NOT_FOUND is not.
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
	cause := &upstreamError{service: service, status: resp.StatusCode}
	after, _ := retryafter.Parse(resp.Header.Get("Retry-After"), time.Now(), MaxRetryAfter)

	var e *Error
	if p, ok := readProblem(resp); ok {
		if after == 0 && p.RetryAfter > 0 {
			after = MaxRetryAfter
			if p.RetryAfter < int64(MaxRetryAfter/time.Second) {
				after = time.Duration(p.RetryAfter) * time.Second
			}
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

// upstreamError is the internal cause FromResponse records: what answered, and how.
type upstreamError struct {
	service string
	status  int
}

// Error implements error.
func (u *upstreamError) Error() string {
	if u.service == "" {
		return fmt.Sprintf("upstream responded %d %s", u.status, http.StatusText(u.status))
	}
	return fmt.Sprintf("upstream %s responded %d %s", u.service, u.status, http.StatusText(u.status))
}
