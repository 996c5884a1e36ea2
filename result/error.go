package result

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hardenkit/harden/internal/retryafter"
)

// Error is a domain error. Build one with a constructor (NotFound, Validation
// …), treat it as immutable once returned, and derive a variant with
// WithMessage or WithCause. It matches the sentinel of its code (ErrNotFound …).
type Error struct {
	Code    Code   // the kind of failure; an empty code is treated as CodeInternal
	Message string // the client-safe explanation, shown as a problem's detail

	Resource, ID string        // what was not found or conflicted, and its id (NOT_FOUND, CONFLICT)
	Violations   []Violation   // what is wrong with a request, field by field (VALIDATION)
	After        time.Duration // how long a client should wait to try again (RATE_LIMITED, UNAVAILABLE)
	Limit        int64         // the limit that was exceeded, in bytes for PAYLOAD_TOO_LARGE
	Allow        []string      // the methods the resource supports (METHOD_NOT_ALLOWED)
	// Reason is a short, client-safe, machine-readable reason, such as
	// "token_expired" (UNAUTHORIZED, FORBIDDEN, CONFLICT, UNAVAILABLE).
	Reason string
	// Service and UpstreamStatus name a failed dependency and its HTTP status
	// (UPSTREAM_FAILURE, FromResponse): internal topology, logged, never shown.
	Service        string
	UpstreamStatus int
	Cause          error // the underlying error, for logs and errors.Is/As; never shown to a client
}

// Violation is one thing wrong with a request: where (a JSON Pointer into the
// request body, RFC 6901, such as "/items/0/name"; "" is the whole body), which
// rule it broke ("required", "min", "type" …), the rule's parameter ("3" for
// min=3; empty if none), and an English message a client can show next to the
// field.
type Violation struct {
	Pointer string `json:"pointer"`
	Rule    string `json:"rule"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
}

// Per-code sentinels: errors.Is(err, ErrNotFound) holds for every NOT_FOUND
// *Error anywhere in err's chain, through %w wrapping and errors.Join. They
// are declared as error so that they cannot be modified through the variable.
var (
	ErrValidation           error = &Error{Code: CodeValidation}
	ErrUnauthorized         error = &Error{Code: CodeUnauthorized}
	ErrForbidden            error = &Error{Code: CodeForbidden}
	ErrNotFound             error = &Error{Code: CodeNotFound}
	ErrMethodNotAllowed     error = &Error{Code: CodeMethodNotAllowed}
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

// MethodNotAllowed reports that the resource does not support the request's
// method; allow lists the methods it does support, for the Allow header.
func MethodNotAllowed(allow ...string) *Error {
	return &Error{Code: CodeMethodNotAllowed, Message: "the method is not allowed for this resource", Allow: allow}
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

// Unauthorized reports missing or invalid credentials, for reason (see Reason).
func Unauthorized(reason string) *Error {
	return &Error{Code: CodeUnauthorized, Message: "authentication is required", Reason: reason}
}

// Forbidden reports that the caller may not do this, for reason (see Reason).
func Forbidden(reason string) *Error {
	return &Error{Code: CodeForbidden, Message: "you may not perform this action", Reason: reason}
}

// Conflict reports that the request clashes with the current state of the
// resource with the given id, for reason (such as "already_exists", or "").
func Conflict(resource, id, reason string) *Error {
	return &Error{Code: CodeConflict, Message: resource + " conflicts with its current state", Resource: resource, ID: id, Reason: reason}
}

// PayloadTooLarge reports a request body over limit bytes.
func PayloadTooLarge(limit int64) *Error {
	msg := "the request body is larger than " + strconv.FormatInt(limit, 10) + " bytes"
	return &Error{Code: CodePayloadTooLarge, Message: msg, Limit: limit}
}

// UnsupportedMediaType reports a body whose media type is not one of supported;
// the message quotes the client's type, cut short.
func UnsupportedMediaType(mediaType string, supported ...string) *Error {
	msg := "unsupported media type " + strconv.Quote(cut(mediaType, 64))
	if mediaType == "" {
		msg = "the request has no Content-Type"
	}
	if len(supported) > 0 {
		msg += "; use " + strings.Join(supported, " or ")
	}
	return &Error{Code: CodeUnsupportedMediaType, Message: msg, Reason: "unsupported_media_type"}
}

// RateLimited reports too many requests; the caller should wait after (0 if
// unknown) before trying again.
func RateLimited(after time.Duration) *Error {
	return &Error{Code: CodeRateLimited, Message: "too many requests; try again later", After: after}
}

// Canceled reports that the caller gave up, such as a client that went away.
func Canceled(cause error) *Error {
	return &Error{Code: CodeCanceled, Message: "the request was canceled", Cause: cause}
}

// Internal wraps an unexpected failure; the client sees a generic message.
func Internal(cause error) *Error {
	return &Error{Code: CodeInternal, Message: "an internal error occurred", Cause: cause}
}

// UpstreamFailure reports that a dependency (service) failed, with its HTTP
// status (0 if none) and the underlying error.
func UpstreamFailure(service string, status int, cause error) *Error {
	return &Error{Code: CodeUpstreamFailure, Message: "a dependency failed", Service: service, UpstreamStatus: status, Cause: cause}
}

// Unavailable reports that the service cannot serve for now, for reason (such
// as "maintenance", or ""); the caller should wait after (0 if unknown).
func Unavailable(reason string, after time.Duration) *Error {
	return &Error{Code: CodeUnavailable, Message: "the service is temporarily unavailable", Reason: reason, After: after}
}

// Timeout reports that an operation ran out of time.
func Timeout(cause error) *Error {
	return &Error{Code: CodeTimeout, Message: "the operation timed out", Cause: cause}
}

// WithMessage returns a copy of e with a different client-safe message.
func (e *Error) WithMessage(message string) *Error {
	c := *e
	c.Message = message
	return &c
}

// WithCause returns a copy of e with cause as its internal cause.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// Error returns the code, the message, the ID and the cause, for logs and
// developers, such as `NOT_FOUND: project not found (id "42")`.
func (e *Error) Error() string {
	s := string(e.code())
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.ID != "" {
		s += " (id " + strconv.Quote(e.ID) + ")"
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the cause, or nil for a nil e, which errors.Is and errors.As
// then pass by.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Cause
}

// Is reports whether target is an *Error with e's code, for the sentinels. A
// nil *Error matches nothing.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.code() == e.code()
}

// HTTPStatus returns the HTTP status of e's code.
func (e *Error) HTTPStatus() int { return e.code().HTTPStatus() }

// Retryable reports whether retrying might succeed: as Code.Retryable says,
// except that an UPSTREAM_FAILURE is retryable only when its UpstreamStatus is
// 0 (no response), a 2xx whose body could not be used, or 408, 429, 502, 503
// or 504, the statuses the retry package's Transport retries.
func (e *Error) Retryable() bool {
	if c := e.code(); c != CodeUpstreamFailure {
		return c.Retryable() // before reading a field: e may be nil
	}
	s := e.UpstreamStatus
	return s == 0 || (s >= 200 && s <= 299) || retryafter.RetryableStatus(s)
}

// RetryAfter returns After: how long to wait before trying again, or 0.
func (e *Error) RetryAfter() time.Duration { return e.After }

// LogValue renders e for log/slog as a group with the code, each detail that
// is set, and the cause's text.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("code", string(e.code()))}
	add := func(set bool, a slog.Attr) {
		if set {
			attrs = append(attrs, a)
		}
	}
	add(e.Message != "", slog.String("message", e.Message))
	add(e.Resource != "", slog.String("resource", e.Resource))
	add(e.ID != "", slog.String("id", e.ID))
	var ptrs []string
	for _, v := range e.Violations {
		ptrs = append(ptrs, v.Pointer+" "+v.Rule)
	}
	add(ptrs != nil, slog.Any("violations", ptrs))
	add(e.Reason != "", slog.String("reason", e.Reason))
	add(e.After > 0, slog.Duration("retry_after", e.After))
	add(e.Limit > 0, slog.Int64("limit", e.Limit))
	add(e.Service != "", slog.String("service", e.Service))
	add(e.UpstreamStatus != 0, slog.Int("upstream_status", e.UpstreamStatus))
	if e.Cause != nil {
		attrs = append(attrs, slog.String("cause", e.Cause.Error()))
	}
	return slog.GroupValue(attrs...)
}

// code returns e's code: CodeInternal for an empty code and for a nil e.
func (e *Error) code() Code {
	if e == nil || e.Code == "" {
		return CodeInternal
	}
	return e.Code
}

// CodeOf returns the code of err: "" for nil; the code of the first *Error in
// err's chain, as errors.As finds it; CodeTimeout for an error that matches
// context.DeadlineExceeded (an http.Client timeout included) and CodeCanceled
// for context.Canceled; and CodeInternal for anything else, a nil *Error
// included.
func CodeOf(err error) Code {
	e, ok := errors.AsType[*Error](err)
	switch {
	case err == nil:
		return ""
	case ok:
		return e.code()
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return CodeInternal
}
