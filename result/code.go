package result

import (
	"net/http"
	"strings"
)

// Code is the machine-readable kind of an error. Codes form a closed set; each
// has one HTTP status, a short title and a retry rule, all written in one
// table below. A client may switch on the code, so it never changes for a
// given condition.
type Code string

// The codes. The table below gives each one's status.
const (
	CodeValidation           Code = "VALIDATION"             // the request is malformed or breaks a rule
	CodeUnauthorized         Code = "UNAUTHORIZED"           // no valid credentials
	CodeForbidden            Code = "FORBIDDEN"              // credentials valid, access denied
	CodeNotFound             Code = "NOT_FOUND"              // the resource does not exist
	CodeMethodNotAllowed     Code = "METHOD_NOT_ALLOWED"     // the resource does not support the method
	CodeConflict             Code = "CONFLICT"               // the request clashes with current state
	CodePayloadTooLarge      Code = "PAYLOAD_TOO_LARGE"      // the body is over the limit
	CodeUnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE" // the body's media type is not accepted
	CodeRateLimited          Code = "RATE_LIMITED"           // too many requests; retry after a delay
	CodeCanceled             Code = "CANCELED"               // the caller gave up
	CodeInternal             Code = "INTERNAL"               // a bug or an unexpected failure
	CodeUpstreamFailure      Code = "UPSTREAM_FAILURE"       // a dependency failed
	CodeUnavailable          Code = "UNAVAILABLE"            // temporarily unable to serve
	CodeTimeout              Code = "TIMEOUT"                // the operation ran out of time
)

type codeInfo struct {
	code      Code
	status    int
	title     string
	retryable bool
}

// codes is the closed set in order of HTTP status, and the one place where a
// code's status, title and retry rule are written. 499 is the non-standard
// status (nginx's) for a request the client abandoned.
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

// lookup returns the row of c, or INTERNAL's row and false for an unknown code.
func lookup(c Code) (codeInfo, bool) {
	for _, info := range codes {
		if info.code == c {
			return info, true
		}
	}
	info, _ := lookup(CodeInternal)
	return info, false
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
func (c Code) Known() bool {
	_, ok := lookup(c)
	return ok
}

// HTTPStatus returns the HTTP status for c; an unknown code is treated as
// CodeInternal (500).
func (c Code) HTTPStatus() int {
	info, _ := lookup(c)
	return info.status
}

// Title returns a short, human-readable summary of c, such as "Not found",
// suitable for a problem's title. An unknown code has the title of CodeInternal.
func (c Code) Title() string {
	info, _ := lookup(c)
	return info.title
}

// Retryable reports whether an operation that failed with c may succeed if
// tried again: true for RATE_LIMITED, UPSTREAM_FAILURE, UNAVAILABLE and
// TIMEOUT. Every other code fails the same way again (a 4xx), is a bug
// (INTERNAL), or means the caller gave up (CANCELED).
func (c Code) Retryable() bool {
	info, _ := lookup(c)
	return info.retryable
}

// ProblemType returns the stable RFC 9457 problem "type" URI for c, a tag URI
// (RFC 4151) ending in the code in lower case with '-' for '_', such as
// "tag:hardenkit.dev,2026:problem/not-found". Clients may compare it as an
// opaque identifier; it is not meant to be dereferenced. An unknown code has
// the type of CodeInternal.
func (c Code) ProblemType() string {
	info, _ := lookup(c)
	return "tag:hardenkit.dev,2026:problem/" + strings.ToLower(strings.ReplaceAll(string(info.code), "_", "-"))
}

// String returns the code itself, such as "NOT_FOUND".
func (c Code) String() string { return string(c) }
