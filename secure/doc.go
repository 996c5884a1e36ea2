// Package secure provides the browser-facing protections every HTTP service
// should have: safe response headers, and refusal of cross-origin requests
// that change state, answered with result's FORBIDDEN problem.
//
//	handler := secure.Middleware(nil)(mux)
//
// # Headers
//
// Every response gets, before the wrapped handler runs (so that a handler
// may replace any of them for its own response):
//
//   - Content-Security-Policy: DefaultCSP unless Options.ContentSecurityPolicy
//     replaces it. It allows scripts, styles and images from the service's
//     own origin only: no inline script, no eval, no plugins, and no framing
//     by any site (frame-ancestors 'none', which also defeats clickjacking).
//   - X-Content-Type-Options: nosniff, so a browser trusts Content-Type.
//   - Referrer-Policy: no-referrer, so URLs do not leak to other sites.
//   - Cross-Origin-Opener-Policy: same-origin, so a page opened by another
//     site cannot script this one's window.
//   - Strict-Transport-Security (two years, subdomains included), on
//     requests that arrived over TLS only: a browser ignores it over plain
//     HTTP, and behind a TLS-terminating proxy the proxy should set it.
//
// # Cross-origin requests
//
// Cross-site request forgery is stopped by net/http's CrossOriginProtection,
// with no tokens: a request whose method is not GET, HEAD or OPTIONS is
// refused when the browser says it comes from another origin, through the
// Sec-Fetch-Site header (sent by every browser since 2023), or failing that
// when its Origin header names a host other than the request's Host.
// Options.TrustedOrigins lists the origins allowed through anyway.
//
// What it covers: forms, fetch and XMLHttpRequest sent to this service by a
// page of another origin, other subdomains of the same site included, from
// any browser that sends Sec-Fetch-Site or Origin. What it does not cover:
// state changed by GET, HEAD or OPTIONS requests (keep them safe); browsers
// that send neither header (none current); browsers that send only Origin,
// for which a page on the same host over plain HTTP passes as same-origin;
// clients that are not browsers (curl, other servers), which send neither
// header and are let through, since they carry no victim's cookies; and
// cross-site scripting, which runs as the same origin and which the
// Content-Security-Policy is there to stop.
package secure
