package result

import "net/http"

// Code is the machine-readable kind of an error. Codes form a closed set; each
// has one HTTP status, a short title and a retry rule. A client may switch on the
// code, so it never changes for a given condition.
type Code string

// The codes, with the HTTP status each maps to.
const (
	CodeValidation           Code = "VALIDATION"             // 400: the request is malformed or breaks a rule
	CodeUnauthorized         Code = "UNAUTHORIZED"           // 401: no valid credentials
	CodeForbidden            Code = "FORBIDDEN"              // 403: credentials valid, access denied
	CodeNotFound             Code = "NOT_FOUND"              // 404: the resource does not exist
	CodeConflict             Code = "CONFLICT"               // 409: the request clashes with current state
	CodePayloadTooLarge      Code = "PAYLOAD_TOO_LARGE"      // 413: the body is over the limit
	CodeUnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE" // 415: the body's media type is not accepted
	CodeRateLimited          Code = "RATE_LIMITED"           // 429: too many requests; retry after a delay
	CodeCanceled             Code = "CANCELED"               // 499: the caller gave up
	CodeInternal             Code = "INTERNAL"               // 500: a bug or an unexpected failure
	CodeUpstreamFailure      Code = "UPSTREAM_FAILURE"       // 502: a dependency failed
	CodeUnavailable          Code = "UNAVAILABLE"            // 503: temporarily unable to serve
	CodeTimeout              Code = "TIMEOUT"                // 504: the operation ran out of time
)

// StatusClientClosedRequest is the non-standard status (used by nginx and
// others) for a request the client abandoned; CodeCanceled maps to it.
const StatusClientClosedRequest = 499

type codeInfo struct {
	status    int
	title     string
	slug      string
	retryable bool
}

// lookup returns what is known about c. A switch rather than a map keeps the
// table immutable and the lookup free of hashing on hot paths.
func lookup(c Code) (codeInfo, bool) {
	switch c {
	case CodeValidation:
		return codeInfo{http.StatusBadRequest, "Invalid request", "validation", false}, true
	case CodeUnauthorized:
		return codeInfo{http.StatusUnauthorized, "Unauthorized", "unauthorized", false}, true
	case CodeForbidden:
		return codeInfo{http.StatusForbidden, "Forbidden", "forbidden", false}, true
	case CodeNotFound:
		return codeInfo{http.StatusNotFound, "Not found", "not-found", false}, true
	case CodeConflict:
		return codeInfo{http.StatusConflict, "Conflict", "conflict", false}, true
	case CodePayloadTooLarge:
		return codeInfo{http.StatusRequestEntityTooLarge, "Payload too large", "payload-too-large", false}, true
	case CodeUnsupportedMediaType:
		return codeInfo{http.StatusUnsupportedMediaType, "Unsupported media type", "unsupported-media-type", false}, true
	case CodeRateLimited:
		return codeInfo{http.StatusTooManyRequests, "Too many requests", "rate-limited", true}, true
	case CodeCanceled:
		return codeInfo{StatusClientClosedRequest, "Request canceled", "canceled", false}, true
	case CodeUpstreamFailure:
		return codeInfo{http.StatusBadGateway, "Upstream failure", "upstream-failure", true}, true
	case CodeUnavailable:
		return codeInfo{http.StatusServiceUnavailable, "Service unavailable", "unavailable", true}, true
	case CodeTimeout:
		return codeInfo{http.StatusGatewayTimeout, "Timeout", "timeout", true}, true
	default:
		// CodeInternal, and the stand-in for any unknown code.
		return codeInfo{http.StatusInternalServerError, "Internal error", "internal", false}, c == CodeInternal
	}
}

// Codes returns every code, in order of HTTP status.
func Codes() []Code {
	return []Code{
		CodeValidation, CodeUnauthorized, CodeForbidden, CodeNotFound, CodeConflict,
		CodePayloadTooLarge, CodeUnsupportedMediaType, CodeRateLimited, CodeCanceled,
		CodeInternal, CodeUpstreamFailure, CodeUnavailable, CodeTimeout,
	}
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

// Retryable reports whether an operation that failed with c may succeed if it
// is tried again: true for RATE_LIMITED, UPSTREAM_FAILURE, UNAVAILABLE and
// TIMEOUT. Every other code fails the same way again (a 4xx), or is a bug
// (INTERNAL), or means the caller has given up (CANCELED). Error.Retryable
// narrows UPSTREAM_FAILURE by the upstream's HTTP status.
func (c Code) Retryable() bool {
	info, _ := lookup(c)
	return info.retryable
}

// ProblemType returns the stable RFC 9457 problem "type" URI for c, a tag URI
// (RFC 4151) such as "tag:hardenkit.dev,2026:problem/not-found". Clients may
// compare it as an opaque identifier; it is not meant to be dereferenced.
func (c Code) ProblemType() string {
	info, _ := lookup(c)
	return problemTypePrefix + info.slug
}

const problemTypePrefix = "tag:hardenkit.dev,2026:problem/"

// String returns the code itself, such as "NOT_FOUND".
func (c Code) String() string { return string(c) }
