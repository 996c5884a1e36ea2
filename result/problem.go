package result

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// ContentTypeProblem is the media type of an RFC 9457 problem document.
const ContentTypeProblem = "application/problem+json"

// HeaderRequestID is the response header WriteProblem reads the request ID
// from. logx's middleware sets it before calling the next handler.
const HeaderRequestID = "X-Request-ID"

// Problem is an RFC 9457 problem document as WriteProblem writes it and
// FromResponse reads it: the standard members plus the extensions code,
// request_id, errors (field violations) and retry_after.
type Problem struct {
	// Type identifies the kind of problem: Code.ProblemType of Code.
	Type string `json:"type"`
	// Title is the code's short summary.
	Title string `json:"title"`
	// Status is the HTTP status, equal to the response's.
	Status int `json:"status"`
	// Detail is the client-safe explanation of this occurrence.
	Detail string `json:"detail,omitempty"`
	// Instance is the path of the request that failed.
	Instance string `json:"instance,omitempty"`

	// Code is the machine-readable code, such as "NOT_FOUND".
	Code Code `json:"code"`
	// RequestID correlates the response with the server's logs.
	RequestID string `json:"request_id,omitempty"`
	// Resource and ID name what was not found or conflicted.
	Resource string `json:"resource,omitempty"`
	ID       string `json:"id,omitempty"`
	// Reason is a short machine-readable reason.
	Reason string `json:"reason,omitempty"`
	// Errors lists field violations (VALIDATION).
	Errors []Violation `json:"errors,omitempty"`
	// RetryAfter is the number of seconds to wait before trying again, as in
	// the Retry-After header. WriteProblem rounds the error's delay up to whole
	// seconds.
	RetryAfter int64 `json:"retry_after,omitempty"`
	// Limit is the limit that was exceeded (bytes, for PAYLOAD_TOO_LARGE).
	Limit int64 `json:"limit,omitempty"`
}

// problemFor builds the client-facing view of err. Only a *Error in err's
// chain contributes text; anything else becomes a generic INTERNAL problem, so
// no error text that was not written for a client can reach one.
func problemFor(err error) Problem {
	e := As(err)
	if e == nil || !e.Code.Known() {
		return Problem{
			Type:   CodeInternal.ProblemType(),
			Title:  CodeInternal.Title(),
			Status: CodeInternal.HTTPStatus(),
			Detail: "an internal error occurred",
			Code:   CodeInternal,
		}
	}
	c := e.Code
	p := Problem{
		Type:     c.ProblemType(),
		Title:    c.Title(),
		Status:   c.HTTPStatus(),
		Detail:   e.Message,
		Code:     c,
		Resource: e.Resource,
		ID:       e.ID,
		Reason:   e.Reason,
		Errors:   e.Violations,
		Limit:    e.Limit,
	}
	if p.Detail == "" {
		p.Detail = p.Title
	}
	if e.After > 0 {
		p.RetryAfter = retryAfterSeconds(e.After)
	}
	return p
}

// retryAfterSeconds rounds d up to whole seconds, as Retry-After counts them:
// rounding down would invite the client back too early. It divides before
// rounding, so the largest durations cannot overflow.
func retryAfterSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

// WriteProblem writes err as an RFC 9457 application/problem+json response.
//
// The status, title, type and detail come from the first *Error in err's
// chain. Any other error, and a *Error with an unknown code, is written as a
// generic 500 INTERNAL problem whose body contains none of the error's text.
// A *Error's Cause is never written.
//
// The body carries the request path as instance, the request ID from the
// response's X-Request-ID header (set by logx's middleware), field violations
// as errors, and for a delay hint both a retry_after member and a Retry-After
// header, in whole seconds rounded up.
// WriteProblem does nothing when err is nil, and r may be nil.
//
// Headers a handler set for the success response it did not send are cleared
// where they would misdescribe the problem: Content-Encoding, ETag,
// Last-Modified, Content-Disposition and Content-Range are deleted, and so is
// Retry-After unless err carries a delay hint. Cache-Control is set to
// no-store, since the body carries this request's ID and must not be cached.
// Other headers, such as CORS headers or Vary, are kept.
//
// WriteProblem must be called before anything else is written to w; HandlerFunc
// and Recover take care of that.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		return
	}
	p := problemFor(err)
	if r != nil && r.URL != nil {
		p.Instance = r.URL.Path
	}
	h := w.Header()
	p.RequestID = h.Get(HeaderRequestID)
	body, merr := json.Marshal(p)
	if merr != nil {
		// Unreachable for the fields above; keep the response well-formed anyway.
		body = []byte(`{"type":"` + CodeInternal.ProblemType() + `","title":"Internal error","status":500,"code":"INTERNAL"}`)
		p.Status = http.StatusInternalServerError
	}
	// One array holds the four values, each header getting a slice of it
	// with no spare capacity, so that an Add to one cannot reach the next.
	// The keys are canonical already.
	vals := &[4]string{ContentTypeProblem, strconv.Itoa(len(body)), "nosniff", "no-store"}
	h["Content-Type"] = vals[0:1:1]
	h["Content-Length"] = vals[1:2:2]
	h["X-Content-Type-Options"] = vals[2:3:3]
	h["Cache-Control"] = vals[3:4:4]
	for _, k := range [...]string{"Content-Encoding", "Etag", "Last-Modified", "Content-Disposition", "Content-Range"} {
		delete(h, k)
	}
	if p.RetryAfter > 0 {
		h["Retry-After"] = []string{strconv.FormatInt(p.RetryAfter, 10)}
	} else {
		delete(h, "Retry-After")
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}
