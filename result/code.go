package result

import (
	"net/http"
	"strings"
)

// Code is the machine-readable kind of an error. Codes form a closed set; each
// has one HTTP status, a short title and a retry rule. A client may switch on
// the code, so it never changes for a given condition. Every method treats a
// code outside the set as CodeInternal, except Known and String.
type Code string

// The codes, with the HTTP status of each.
const (
	CodeValidation           Code = "VALIDATION"             // 400: the request is malformed or breaks a rule
	CodeUnauthorized         Code = "UNAUTHORIZED"           // 401: no valid credentials
	CodeForbidden            Code = "FORBIDDEN"              // 403: credentials valid, access denied
	CodeNotFound             Code = "NOT_FOUND"              // 404: the resource does not exist
	CodeMethodNotAllowed     Code = "METHOD_NOT_ALLOWED"     // 405: the resource does not support the method; with Allow
	CodeConflict             Code = "CONFLICT"               // 409: the request clashes with current state
	CodePayloadTooLarge      Code = "PAYLOAD_TOO_LARGE"      // 413: the body is over the limit
	CodeUnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE" // 415: the body's media type is not accepted
	CodeRateLimited          Code = "RATE_LIMITED"           // 429: too many requests; with Retry-After
	CodeCanceled             Code = "CANCELED"               // 499 (nginx's): the caller gave up
	CodeInternal             Code = "INTERNAL"               // 500: a bug or an unexpected failure
	CodeUpstreamFailure      Code = "UPSTREAM_FAILURE"       // 502: a dependency failed
	CodeUnavailable          Code = "UNAVAILABLE"            // 503: temporarily unable to serve
	CodeTimeout              Code = "TIMEOUT"                // 504: the operation ran out of time
)

type codeInfo struct {
	code      Code
	status    int
	title     string
	retryable bool
}

// codes is the closed set in order of HTTP status: the one source of each fact.
var codes = [...]codeInfo{
	{CodeValidation, http.StatusBadRequest, "Invalid request", false},
	{CodeUnauthorized, http.StatusUnauthorized, "Unauthorized", false},
	{CodeForbidden, http.StatusForbidden, "Forbidden", false},
	{CodeNotFound, http.StatusNotFound, "Not found", false},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, "Method not allowed", false},
	{CodeConflict, http.StatusConflict, "Conflict", false},
	{CodePayloadTooLarge, http.StatusRequestEntityTooLarge, "Payload too large", false},
	{CodeUnsupportedMediaType, http.StatusUnsupportedMediaType, "Unsupported media type", false},
	{CodeRateLimited, http.StatusTooManyRequests, "Too many requests", true},
	{CodeCanceled, 499, "Request canceled", false},
	{CodeInternal, http.StatusInternalServerError, "Internal error", false},
	{CodeUpstreamFailure, http.StatusBadGateway, "Upstream failure", true},
	{CodeUnavailable, http.StatusServiceUnavailable, "Service unavailable", true},
	{CodeTimeout, http.StatusGatewayTimeout, "Timeout", true},
}

// info returns the row of c, or INTERNAL's row for an unknown code.
func (c Code) info() codeInfo {
	for _, info := range codes {
		if info.code == c {
			return info
		}
	}
	return CodeInternal.info()
}

// Codes returns every code, in order of HTTP status.
func Codes() []Code {
	out := make([]Code, len(codes))
	for i, info := range codes {
		out[i] = info.code
	}
	return out
}

// Known reports whether c is one of the defined codes.
func (c Code) Known() bool { return c.info().code == c }

// HTTPStatus returns the HTTP status for c.
func (c Code) HTTPStatus() int { return c.info().status }

// Title returns a short, human-readable summary of c, such as "Not found",
// suitable for a problem's title.
func (c Code) Title() string { return c.info().title }

// Retryable reports whether an operation that failed with c may succeed if
// tried again: true for RATE_LIMITED, UPSTREAM_FAILURE, UNAVAILABLE and
// TIMEOUT. Every other code fails the same way again (a 4xx), is a bug
// (INTERNAL), or means the caller gave up (CANCELED).
func (c Code) Retryable() bool { return c.info().retryable }

// ProblemType returns the stable RFC 9457 problem "type" URI for c, a tag URI
// (RFC 4151) ending in the code in lower case with '-' for '_', such as
// "tag:hardenkit.dev,2026:problem/not-found", to compare, not dereference.
func (c Code) ProblemType() string {
	return "tag:hardenkit.dev,2026:problem/" + strings.ToLower(strings.ReplaceAll(string(c.info().code), "_", "-"))
}

// String returns the code itself, such as "NOT_FOUND".
func (c Code) String() string { return string(c) }
