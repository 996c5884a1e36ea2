// Package requestid holds the name of the HTTP header that carries a request
// ID: logx's middleware sets it on the response and its transport sends it
// upstream, and result's problem writer reads it for the problem's request_id.
package requestid

// Header is the HTTP header that carries a request ID, X-Request-ID, in the
// canonical form of http.CanonicalHeaderKey, so that it indexes an
// http.Header directly.
const Header = "X-Request-Id"
