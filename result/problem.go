package result

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hardenkit/harden/internal/requestid"
)

// ContentTypeProblem is the media type of an RFC 9457 problem document.
const ContentTypeProblem = "application/problem+json"

// Problem is an RFC 9457 problem document as WriteProblem writes it and
// FromResponse reads it: the standard members plus the extensions code,
// request_id, errors (field violations) and retry_after.
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
	e, ok := errors.AsType[*Error](err)
	if !ok || e == nil || !e.Code.Known() {
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
