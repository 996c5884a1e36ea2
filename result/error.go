package result

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a domain error: a Code, a message that is safe to show a client, the
// details its code calls for, and an internal Cause that is logged but never
// shown to a client.
//
// Build one with a constructor (NotFound, Validation, RateLimited, Internal …)
// rather than a literal, so the message and details are consistent. An Error
// is a value describing one failure: treat it as immutable once returned, and
// use WithMessage or WithCause to derive a variant.
//
// Error matches by code: errors.Is(err, ErrNotFound) holds for every NOT_FOUND
// error anywhere in err's chain, through %w wrapping and errors.Join.
//
// Every method is safe on a nil *Error, which can reach an error chain when a
// function returns a nil *Error as an error (a bug in that function). A nil
// *Error acts as a bare INTERNAL error: its code is CodeInternal, its status
// 500, it matches no sentinel with errors.Is and it unwraps to nil.
type Error struct {
	// Code is the kind of failure. An empty code is treated as CodeInternal.
	Code Code
	// Message is the client-safe explanation, shown as a problem's detail.
	Message string

	// Resource and ID name what was not found or conflicted (NOT_FOUND, CONFLICT).
	Resource string
	ID       string
	// Violations lists what is wrong with a request, field by field (VALIDATION).
	Violations []Violation
	// Reason is a short, client-safe, machine-readable reason, such as
	// "token_expired" (UNAUTHORIZED, FORBIDDEN, CONFLICT, UNAVAILABLE).
	Reason string
	// After is how long a client should wait before trying again
	// (RATE_LIMITED, UNAVAILABLE). RetryAfter returns it.
	After time.Duration
	// Limit is the limit that was exceeded, in bytes for PAYLOAD_TOO_LARGE.
	Limit int64
	// Service and UpstreamStatus identify a failed dependency and its HTTP
	// status (UPSTREAM_FAILURE, and errors made by FromResponse). They are
	// logged, never shown to a client: they describe internal topology.
	Service        string
	UpstreamStatus int

	// Cause is the underlying error, for logs and errors.Is/As. Its text is
	// never shown to a client.
	Cause error
}

// Violation is one thing wrong with a request: where (a JSON Pointer into the
// request body, RFC 6901), which rule it broke, the rule's parameter, and a
// message a client can show next to the field.
type Violation struct {
	// Pointer locates the value, such as "/items/0/name"; "" is the whole body.
	Pointer string `json:"pointer"`
	// Rule is the rule that failed, such as "required", "min" or "type".
	Rule string `json:"rule"`
	// Param is the rule's parameter, such as "3" for min=3; empty if none.
	Param string `json:"param,omitempty"`
	// Message is the English explanation, such as "must be at least 3 characters".
	Message string `json:"message"`
}

// Per-code sentinels, for errors.Is. Every *Error matches the sentinel of its
// code: errors.Is(err, result.ErrNotFound). They are declared as error so that
// they cannot be modified through the variable.
var (
	ErrValidation           error = &Error{Code: CodeValidation}
	ErrUnauthorized         error = &Error{Code: CodeUnauthorized}
	ErrForbidden            error = &Error{Code: CodeForbidden}
	ErrNotFound             error = &Error{Code: CodeNotFound}
	ErrConflict             error = &Error{Code: CodeConflict}
	ErrPayloadTooLarge      error = &Error{Code: CodePayloadTooLarge}
	ErrUnsupportedMediaType error = &Error{Code: CodeUnsupportedMediaType}
	ErrRateLimited          error = &Error{Code: CodeRateLimited}
	ErrCanceled             error = &Error{Code: CodeCanceled}
	ErrInternal             error = &Error{Code: CodeInternal}
	ErrUpstreamFailure      error = &Error{Code: CodeUpstreamFailure}
	ErrUnavailable          error = &Error{Code: CodeUnavailable}
	ErrTimeout              error = &Error{Code: CodeTimeout}
)

// New returns an error with the given code and client-safe message. Prefer the
// constructor for the code where there is one: it fills in the details.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// NotFound reports that the resource (such as "project") with the given id
// does not exist.
func NotFound(resource, id string) *Error {
	return &Error{Code: CodeNotFound, Message: resource + " not found", Resource: resource, ID: id}
}

// Validation reports that a request breaks the given rules. With no
// violations it still reports an invalid request.
func Validation(violations ...Violation) *Error {
	msg := "the request is invalid"
	switch n := len(violations); {
	case n == 1:
		msg = "the request has 1 invalid field"
	case n > 1:
		msg = "the request has " + strconv.Itoa(n) + " invalid fields"
	}
	return &Error{Code: CodeValidation, Message: msg, Violations: violations}
}

// Unauthorized reports missing or invalid credentials; reason is a short,
// client-safe reason such as "token_expired", or "".
func Unauthorized(reason string) *Error {
	return &Error{Code: CodeUnauthorized, Message: "authentication is required", Reason: reason}
}

// Forbidden reports that the caller may not do this; reason is a short,
// client-safe reason, or "".
func Forbidden(reason string) *Error {
	return &Error{Code: CodeForbidden, Message: "you may not perform this action", Reason: reason}
}

// Conflict reports that the request clashes with the current state of the
// resource with the given id, for a client-safe reason such as "already_exists".
func Conflict(resource, id, reason string) *Error {
	return &Error{Code: CodeConflict, Message: resource + " conflicts with its current state", Resource: resource, ID: id, Reason: reason}
}

// PayloadTooLarge reports a request body over limit bytes.
func PayloadTooLarge(limit int64) *Error {
	return &Error{
		Code:    CodePayloadTooLarge,
		Message: "the request body is larger than " + strconv.FormatInt(limit, 10) + " bytes",
		Limit:   limit,
	}
}

// UnsupportedMediaType reports a body whose media type is not one of supported.
// The offered type is quoted and cut short in the message, since it comes from
// the client.
func UnsupportedMediaType(mediaType string, supported ...string) *Error {
	const maxShown = 64
	if len(mediaType) > maxShown {
		mediaType = mediaType[:maxShown] + "…"
	}
	msg := "unsupported media type " + strconv.Quote(mediaType)
	if mediaType == "" {
		msg = "the request has no Content-Type"
	}
	if len(supported) > 0 {
		msg += "; use " + strings.Join(supported, " or ")
	}
	return &Error{Code: CodeUnsupportedMediaType, Message: msg, Reason: "unsupported_media_type"}
}

// RateLimited reports that the caller has sent too many requests and should
// wait after before trying again (0 if unknown).
func RateLimited(after time.Duration) *Error {
	return &Error{Code: CodeRateLimited, Message: "too many requests; try again later", After: after}
}

// Canceled reports that the caller gave up, such as when a request's context
// was canceled because the client went away.
func Canceled(cause error) *Error {
	return &Error{Code: CodeCanceled, Message: "the request was canceled", Cause: cause}
}

// Internal wraps an unexpected failure. The client sees only a generic message;
// cause is kept for logs and errors.Is/As.
func Internal(cause error) *Error {
	return &Error{Code: CodeInternal, Message: "an internal error occurred", Cause: cause}
}

// UpstreamFailure reports that a dependency (service) failed, with its HTTP
// status if it has one (0 otherwise) and the underlying error.
func UpstreamFailure(service string, status int, cause error) *Error {
	return &Error{Code: CodeUpstreamFailure, Message: "a dependency failed", Service: service, UpstreamStatus: status, Cause: cause}
}

// Unavailable reports that the service cannot serve for now, for a client-safe
// reason (such as "maintenance", or ""), and how long to wait (0 if unknown).
func Unavailable(reason string, after time.Duration) *Error {
	return &Error{Code: CodeUnavailable, Message: "the service is temporarily unavailable", Reason: reason, After: after}
}

// Timeout reports that an operation ran out of time.
func Timeout(cause error) *Error {
	return &Error{Code: CodeTimeout, Message: "the operation timed out", Cause: cause}
}

// WithMessage returns a copy of e with a different client-safe message. On a
// nil e it returns a new INTERNAL error with that message.
func (e *Error) WithMessage(message string) *Error {
	c := e.clone()
	c.Message = message
	return c
}

// WithCause returns a copy of e with cause as its internal cause. On a nil e
// it returns a new INTERNAL error with that cause.
func (e *Error) WithCause(cause error) *Error {
	c := e.clone()
	c.Cause = cause
	return c
}

// clone returns a copy of e, or a bare INTERNAL error for a nil e.
func (e *Error) clone() *Error {
	if e == nil {
		return &Error{Code: CodeInternal}
	}
	c := *e
	return &c
}

// Error returns the code, the message and the cause, for logs and developers,
// such as "NOT_FOUND: project not found". A client never sees this text: a
// problem response shows only Message. A nil *Error says so:
// "INTERNAL: nil *result.Error".
func (e *Error) Error() string {
	if e == nil {
		return string(CodeInternal) + ": nil *result.Error"
	}
	var b strings.Builder
	b.WriteString(string(e.code()))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.ID != "" {
		b.WriteString(" (id ")
		b.WriteString(strconv.Quote(e.ID))
		b.WriteString(")")
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the internal cause, or nil for a nil e.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Cause
}

// Is reports whether target is an *Error with the same code, which makes the
// per-code sentinels (ErrNotFound …) work with errors.Is. It is false when e or
// target is a nil *Error: a nil *Error has no code to match by.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.code() == e.code()
}

// HTTPStatus returns the HTTP status of e's code (500 for a nil e).
func (e *Error) HTTPStatus() int { return e.code().HTTPStatus() }

// Retryable reports whether retrying might succeed: the code is retryable
// (see Code.Retryable). An UPSTREAM_FAILURE whose UpstreamStatus is not a
// success is retryable only for 408, 429, 502, 503 and 504, the statuses the
// retry package retries plus 408 Request Timeout: a 500 or 501 from a
// dependency fails the same way again, a 400 will be a 400 again, and a 3xx
// is a redirect or cache answer that was not followed. An UPSTREAM_FAILURE
// with no status (0), such as a connection error, or with a 2xx whose body
// could not be used (perhaps cut short), is retryable.
func (e *Error) Retryable() bool {
	c := e.code()
	if c != CodeUpstreamFailure { // a nil e is INTERNAL: e is not nil below
		return c.Retryable()
	}
	switch s := e.UpstreamStatus; {
	case s == 0 || (s >= 200 && s <= 299):
		return true
	case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests,
		s == http.StatusBadGateway, s == http.StatusServiceUnavailable, s == http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RetryAfter returns how long to wait before trying again, or 0 if e says
// nothing or is nil.
func (e *Error) RetryAfter() time.Duration {
	if e == nil {
		return 0
	}
	return e.After
}

// LogValue renders e for log/slog as a group with the code, the message, each
// detail that is set, and the cause's text. The cause is logged here, never
// sent to a client.
func (e *Error) LogValue() slog.Value {
	if e == nil {
		return slog.StringValue("<nil>")
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("code", string(e.code())))
	if e.Message != "" {
		attrs = append(attrs, slog.String("message", e.Message))
	}
	if e.Resource != "" {
		attrs = append(attrs, slog.String("resource", e.Resource))
	}
	if e.ID != "" {
		attrs = append(attrs, slog.String("id", e.ID))
	}
	if n := len(e.Violations); n > 0 {
		ptrs := make([]string, n)
		for i, v := range e.Violations {
			ptrs[i] = v.Pointer + " " + v.Rule
		}
		attrs = append(attrs, slog.Any("violations", ptrs))
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	if e.After > 0 {
		attrs = append(attrs, slog.Duration("retry_after", e.After))
	}
	if e.Limit > 0 {
		attrs = append(attrs, slog.Int64("limit", e.Limit))
	}
	if e.Service != "" {
		attrs = append(attrs, slog.String("service", e.Service))
	}
	if e.UpstreamStatus != 0 {
		attrs = append(attrs, slog.Int("upstream_status", e.UpstreamStatus))
	}
	if e.Cause != nil {
		attrs = append(attrs, slog.String("cause", e.Cause.Error()))
	}
	return slog.GroupValue(attrs...)
}

func (e *Error) code() Code {
	if e == nil || e.Code == "" {
		return CodeInternal
	}
	return e.Code
}

// find returns the first non-nil *Error in err's chain, in the depth-first
// order errors.As uses; a nil *Error (which unwraps to nothing) ends its
// branch of the chain. It allocates nothing for plain %w chains and
// errors.Join.
func find(err error) *Error {
	for err != nil {
		if e, ok := err.(*Error); ok {
			return e
		}
		if as, ok := err.(interface{ As(any) bool }); ok {
			var e *Error
			if as.As(&e) && e != nil {
				return e
			}
		}
		switch x := err.(type) {
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, inner := range x.Unwrap() {
				if e := find(inner); e != nil {
					return e
				}
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// CodeOf returns the code of err: "" for nil; the code of the first *Error in
// err's chain (through %w wrapping and errors.Join); CodeTimeout for an
// error that matches context.DeadlineExceeded (an http.Client timeout
// included) and CodeCanceled for context.Canceled; and
// CodeInternal for anything else.
//
// A nil *Error in the chain has no code and is passed over, as As passes over
// it: errors.Join(nilErr, NotFound(…)) is NOT_FOUND. A chain with nothing
// else to go on, such as a nil *Error returned as an error, is CodeInternal,
// the code of a bug.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e := find(err); e != nil {
		return e.code()
	}
	// Only an error without a *Error pays for these walks. errors.Is also
	// sees errors that match through an Is method: an http.Client timeout.
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return CodeInternal
}

// As returns the first *Error in err's chain, or nil if there is none. It is
// errors.As for *Error, without the pointer variable, except that it never
// returns a nil *Error found in the chain: it looks past one to the rest of an
// errors.Join, and returns nil if nothing else is there.
func As(err error) *Error { return find(err) }
