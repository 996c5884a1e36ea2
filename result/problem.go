package result

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hardenkit/harden/internal/requestid"
	"github.com/hardenkit/harden/internal/retryafter"
)

// ContentTypeProblem is the media type of an RFC 9457 problem document.
const ContentTypeProblem = "application/problem+json"

// Problem is an RFC 9457 problem document with this package's extension
// members, as WriteProblem writes it and FromResponse reads it.
type Problem struct {
	Type     string `json:"type"`               // Code.ProblemType of Code
	Title    string `json:"title"`              // the code's short summary
	Status   int    `json:"status"`             // the HTTP status, equal to the response's
	Detail   string `json:"detail,omitempty"`   // the client-safe explanation of this occurrence
	Instance string `json:"instance,omitempty"` // the path of the request that failed

	Code       Code        `json:"code"`                  // such as "NOT_FOUND"
	RequestID  string      `json:"request_id,omitempty"`  // correlates the response with the server's logs
	Resource   string      `json:"resource,omitempty"`    // what was not found or conflicted
	ID         string      `json:"id,omitempty"`          // and its id
	Reason     string      `json:"reason,omitempty"`      // a short machine-readable reason
	Errors     []Violation `json:"errors,omitempty"`      // field violations (VALIDATION)
	RetryAfter int64       `json:"retry_after,omitempty"` // seconds to wait, as in Retry-After: the delay rounded up
	Limit      int64       `json:"limit,omitempty"`       // the limit exceeded (bytes, for PAYLOAD_TOO_LARGE)
}

// WriteProblem writes err as a Problem, before anything else is written to w.
// It does nothing for a nil err; r may be nil.
//
// The problem describes the first *Error in err's chain; any other error, and
// a *Error with an unknown code, is a generic 500 INTERNAL problem, so no
// Cause and no text of another error is ever written. The request ID comes
// from the response's X-Request-ID header (logx's middleware sets it). A delay
// also goes in the Retry-After header, and a METHOD_NOT_ALLOWED error's
// methods in the Allow header.
//
// Headers that would misdescribe the problem are cleared (Content-Encoding,
// ETag, Last-Modified, Content-Disposition, Content-Range, a stale
// Retry-After); others, such as CORS headers or Vary, are kept. Cache-Control
// is no-store, since the body carries this request's ID.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		return
	}
	e, _ := errors.AsType[*Error](err)
	if e == nil || !e.Code.Known() {
		e = Internal(nil)
	}
	c, h := e.Code, w.Header()
	p := Problem{
		Type: c.ProblemType(), Title: c.Title(), Status: c.HTTPStatus(), Detail: cmp.Or(e.Message, c.Title()),
		Code: c, RequestID: h.Get(requestid.Header), Resource: e.Resource, ID: e.ID, Reason: e.Reason,
		Errors: e.Violations, Limit: e.Limit,
	}
	if r != nil && r.URL != nil {
		p.Instance = r.URL.Path
	}
	if e.After > 0 {
		// Rounded up: rounding down would invite the client back too early.
		p.RetryAfter = int64((e.After-1)/time.Second) + 1
	}
	body, _ := json.Marshal(p) // strings and integers only: it cannot fail
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	for _, k := range [...]string{"Content-Encoding", "Etag", "Last-Modified", "Content-Disposition", "Content-Range", "Retry-After"} {
		delete(h, k)
	}
	if p.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(p.RetryAfter, 10))
	}
	if len(e.Allow) > 0 {
		h.Set("Allow", strings.Join(e.Allow, ", "))
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

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
