package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hardenkit/harden/internal/retryafter"
)

// HeaderIdempotencyKey is the request header that makes a POST or PATCH
// safe to retry: the server uses it to apply the request at most once.
const HeaderIdempotencyKey = "Idempotency-Key"

// maxDrain and drainTimeout bound the reading of a discarded response so
// that its connection can be reused: a body declared longer than maxDrain
// is closed unread, and one still unread after drainTimeout (it stalls, or
// trickles in) is abandoned, with its connection.
const (
	maxDrain     = 64 << 10
	drainTimeout = 250 * time.Millisecond
)

// Transport returns an http.RoundTripper that sends requests through base
// (http.DefaultTransport when nil) and retries them under p.
//
// A request is retried only when repeating it is safe:
//
//   - its method is idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), or
//     it carries an Idempotency-Key header (POST, PATCH and others);
//   - its body can be replayed: it has none, or it is http.NoBody, or
//     GetBody is set (http.NewRequest sets it for the usual in-memory
//     bodies). A body that cannot be replayed is sent once;
//   - it asks for no protocol upgrade (an Upgrade header, as WebSocket
//     sends): the upgraded connection must reach the caller untouched.
//
// Any other request goes to base once, untouched, and does not count
// towards p.Budget. A nil request, or one with a nil URL or a nil Header,
// is not sent: RoundTrip returns an error for it, as http.Transport does.
//
// A retriable request is retried after a connection error (but not after a
// TLS certificate verification failure, which would fail again) and after a 429,
// 502, 503 or 504 response, under the same rules as Do: p.Classify sees a
// response with status 429 or 5xx as an error with an HTTPStatus() int
// method, and may stop on it or retry other statuses (such as 500). A
// Retry-After header, in seconds or as an HTTP-date, sets the next delay,
// bounded by p.MaxRetryAfter; one that would not fit before the request
// context's deadline ends the loop at once.
//
// Each attempt sends a clone of the request, with its body from GetBody
// after the first: the caller's request is never modified. A response that
// is retried is drained, so that its connection can be reused, and closed.
// Draining reads at most 64 KiB for at most 250ms of wall-clock time
// (whatever p.Clock); a body declared longer is closed unread, and one not
// over by then is abandoned, with its connection, by cancelling that
// attempt's context, so base must end a body's reads when its request's
// context ends, as http.Transport does. When the loop gives up after a
// response, that last response is returned with a nil error, as from any
// RoundTripper, for the caller to read and close; when it gives up after a
// connection error, the error is a *Error that unwraps to it. With
// p.AttemptTimeout, the attempt's deadline also covers reading the
// returned response's body.
//
// The returned RoundTripper is safe for concurrent use if base is, and
// passes CloseIdleConnections on to base.
func Transport(base http.RoundTripper, p Policy) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, policy: p}
}

type transport struct {
	base   http.RoundTripper
	policy Policy
}

var _ http.RoundTripper = (*transport)(nil)

// RoundTrip sends req, retrying it under the transport's Policy.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	if err := t.policy.validate(); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if !replayable(req) {
		return t.base.RoundTrip(req)
	}
	// The loop runs on a copy without AttemptTimeout: op applies it itself,
	// because an attempt's context must live until the response body is
	// closed, past op's return.
	p := t.policy
	timeout := p.AttemptTimeout
	p.AttemptTimeout = 0
	clock := clockOr(p.Clock)
	endpoint := endpointOf(req)
	attempts := 0
	op := func(ctx context.Context) (*http.Response, error) {
		attempts++
		// Each attempt's context ends when its response body is closed
		// (see cancelOnClose), or below if there is none. Besides applying
		// AttemptTimeout, it lets drain abandon a discarded body that
		// stalls: cancelling the request's context ends a blocked Read,
		// which closing the body from another goroutine may not.
		var cancel context.CancelFunc
		if timeout > 0 {
			ctx, cancel = context.WithTimeout(ctx, timeout)
		} else {
			ctx, cancel = context.WithCancel(ctx)
		}
		r := req.Clone(ctx)
		if attempts > 1 && hasBody(req) {
			body, err := req.GetBody()
			if err != nil {
				cancel()
				return nil, Permanent(fmt.Errorf("rewind the body of %s: %w", endpoint, err))
			}
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			cancel()
			if badCertificate(err) {
				// The server's certificate will be just as wrong next time.
				return nil, Permanent(err)
			}
			return nil, err
		}
		if resp == nil {
			cancel()
			return nil, Permanent(fmt.Errorf("retry: %T returned a nil *http.Response and a nil error for %s", t.base, endpoint))
		}
		if resp.Body == nil {
			cancel()
		} else {
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return resp, newStatusError(endpoint, resp, clock)
		}
		return resp, nil
	}
	resp, err := run(req.Context(), &p, op, &hooks[*http.Response]{discard: drain})
	if attempts == 0 && req.Body != nil {
		// No attempt took ownership of the body; a RoundTripper must close it.
		req.Body.Close()
	}
	if err != nil && resp != nil {
		// Gave up after a response: it is the answer, as from any transport.
		return resp, nil
	}
	return resp, err
}

// checkRequest rejects a request that no transport can send, as
// http.Transport does, closing its body: the retry loop and its error
// messages read the URL and the header.
func checkRequest(req *http.Request) error {
	var missing string
	switch {
	case req == nil:
		return errors.New("retry: nil Request")
	case req.URL == nil:
		missing = "URL"
	case req.Header == nil:
		missing = "Header"
	default:
		return nil
	}
	if req.Body != nil {
		req.Body.Close()
	}
	return fmt.Errorf("retry: invalid Request: nil %s", missing)
}

// CloseIdleConnections closes the idle connections of the base transport,
// if it has a CloseIdleConnections method.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// replayable reports whether sending req again is safe and possible. A
// protocol upgrade (WebSocket and the like) is never retried: its response
// hands over the connection, which must reach the caller untouched.
func replayable(req *http.Request) bool {
	if req.Header.Get("Upgrade") != "" {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace,
		http.MethodPut, http.MethodDelete:
	default:
		if req.Header.Get(HeaderIdempotencyKey) == "" {
			return false
		}
	}
	return !hasBody(req) || req.GetBody != nil
}

func hasBody(req *http.Request) bool {
	return req.Body != nil && req.Body != http.NoBody
}

// badCertificate reports whether err is a TLS certificate verification
// failure, which no retry can fix.
func badCertificate(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostname)
}

// drain reads what is left of a discarded response, up to maxDrain and for
// up to drainTimeout, and closes it, so that its connection can go back to
// the pool. A body declared longer than maxDrain is closed unread.
//
// The timer is the system's, not the Policy's Clock: it bounds I/O, not a
// wait of the schedule, and a test clock that fires at once would abandon
// every body.
func drain(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	if b, ok := resp.Body.(*cancelOnClose); ok && resp.ContentLength <= maxDrain {
		stop := time.AfterFunc(drainTimeout, b.cancel)
		_, _ = io.CopyN(io.Discard, b.ReadCloser, maxDrain)
		stop.Stop()
	}
	_ = resp.Body.Close()
}

// statusError is a response with status 429 or 5xx, seen as an error by
// the retry loop and a Policy's Classify.
type statusError struct {
	endpoint string
	status   int
	after    time.Duration
}

// newStatusError reads resp's status and Retry-After; the loop bounds the
// delay by the Policy's MaxRetryAfter, as for any error's RetryAfter.
func newStatusError(endpoint string, resp *http.Response, clock Clock) *statusError {
	e := &statusError{endpoint: endpoint, status: resp.StatusCode}
	if d, ok := retryafter.Parse(resp.Header.Get("Retry-After"), clock.Now(), 0); ok {
		e.after = d
	}
	return e
}

// endpointOf names a request for error messages and logs: the method and
// the URL without user info, query or fragment, which may hold secrets.
func endpointOf(req *http.Request) string {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	u := *req.URL
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return method + " " + u.String()
}

// Error implements error, naming the endpoint and the status, such as
// "GET http://billing/v1/charges: 503 Service Unavailable".
func (e *statusError) Error() string {
	return fmt.Sprintf("%s: %d %s", e.endpoint, e.status, http.StatusText(e.status))
}

// HTTPStatus returns the response's status.
func (e *statusError) HTTPStatus() int { return e.status }

// Retryable reports whether the status is worth another try: 429, 502, 503
// and 504. A 500 is a bug on the server and fails the same way again.
func (e *statusError) Retryable() bool {
	switch e.status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// RetryAfter returns the delay the Retry-After header asked for, or 0.
func (e *statusError) RetryAfter() time.Duration { return e.after }

// cancelOnClose ends an attempt's context when the response body is
// closed, so that AttemptTimeout covers reading the body, and drain can
// abandon a body by cancelling its context, without leaking the context.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
	once   sync.Once
}

// Close closes the body and ends the attempt's context.
func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.cancel)
	return err
}
