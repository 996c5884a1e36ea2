package retry

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hardenkit/harden/internal/retryafter"
	"go.opentelemetry.io/otel/metric"
)

// HeaderIdempotencyKey is the request header that makes a POST or PATCH
// safe to retry: the server uses it to apply the request at most once.
const HeaderIdempotencyKey = "Idempotency-Key"

// How much of a discarded response is read, so that its connection can be
// reused, before it is abandoned with its connection.
const (
	maxDrain     = 64 << 10
	drainTimeout = 250 * time.Millisecond
)

// Transport returns an http.RoundTripper that sends requests through base
// (http.DefaultTransport when nil) and retries them under p.
//
// A request is retried only when repeating it is safe: its method is
// idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) or it carries an
// Idempotency-Key header; its body can be replayed (none, http.NoBody, or
// GetBody set, as http.NewRequest sets it for in-memory bodies); and it
// asks for no protocol upgrade. Any other request goes to base once,
// untouched, and does not count towards p.Budget.
//
// This is the one list of what the package retries over HTTP:
//
//   - a response with status 408, 429, 502, 503 or 504, the statuses
//     result.FromResponse also calls retryable, after the delay its
//     Retry-After header asks for, if any (bounded by p.MaxRetryAfter);
//   - an error from base, unless it would recur on every attempt: a TLS
//     certificate that does not verify, or a request that base refuses to send
//     (a scheme it does not speak, an invalid header, a URL without a host
//     or with a malformed address).
//
// p.Classify sees a response with one of those statuses or any 5xx as an
// error with an HTTPStatus() int method, so it may stop on it or retry
// another status (such as 500). Do's rules apply to everything else.
//
// Each attempt sends a clone of the request, with its body from GetBody
// after the first: the caller's request is never modified. A response that
// is retried is drained (at most 64 KiB for at most 250ms) and closed. When
// the loop gives up after a response, that response is returned with a nil
// error; after an error, the error is a *Error. With p.AttemptTimeout, the
// attempt's deadline also covers reading the returned response's body. A
// nil request, or one with a nil URL or Header, is an error.
//
// The returned RoundTripper is safe for concurrent use if base is, and
// passes CloseIdleConnections on to base.
func Transport(base http.RoundTripper, p Policy) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, policy: p, attempts: attemptsCounter(p.MeterProvider)}
}

type transport struct {
	base     http.RoundTripper
	policy   Policy
	attempts metric.Int64Counter
}

// RoundTrip sends req, retrying it under the transport's Policy.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var err error
	switch {
	case req == nil:
		return nil, errors.New("retry: nil Request")
	case req.URL == nil:
		err = errors.New("retry: invalid Request: nil URL")
	case req.Header == nil:
		err = errors.New("retry: invalid Request: nil Header")
	default:
		err = t.policy.Validate()
	}
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if !replayable(req) {
		return t.base.RoundTrip(req)
	}
	// send applies AttemptTimeout itself: an attempt's context must live
	// until its response body is closed, after send returns.
	p := t.policy
	p.AttemptTimeout = 0
	endpoint := endpointOf(req)
	sent := 0
	resp, err := run(req.Context(), &p, t.attempts, func(ctx context.Context) (*http.Response, error) {
		sent++
		return t.send(ctx, req, sent, endpoint)
	}, drain)
	if sent == 0 {
		closeBody(req) // no attempt took the body; a RoundTripper must close it
	}
	if resp != nil {
		return resp, nil // the loop gave up after a response: it is the answer
	}
	return nil, err
}

// send makes attempt n of req. The attempt's context ends when the
// response body is closed, or at once if there is none: besides applying
// AttemptTimeout, that lets drain abandon a body that stalls, as
// cancelling a request's context ends a blocked Read.
func (t *transport) send(ctx context.Context, req *http.Request, n int, endpoint string) (*http.Response, error) {
	var cancel context.CancelFunc
	if t.policy.AttemptTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, t.policy.AttemptTimeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	r := req.Clone(ctx)
	if n > 1 && hasBody(req) {
		body, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, Permanent(fmt.Errorf("rewind the body of %s: %w", endpoint, err))
		}
		r.Body = body
	}
	resp, err := t.base.RoundTrip(r)
	switch {
	case err != nil:
		cancel()
		if cannotSucceed(err) {
			return nil, Permanent(err)
		}
		return nil, err
	case resp == nil:
		cancel()
		return nil, Permanent(fmt.Errorf("%T returned a nil *http.Response and a nil error for %s", t.base, endpoint))
	case resp.Body == nil:
		cancel()
	default:
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	}
	if s := resp.StatusCode; retryafter.RetryableStatus(s) || s >= 500 {
		e := &statusError{endpoint: endpoint, status: s}
		e.after, _ = retryafter.Parse(resp.Header.Get("Retry-After"), time.Now(), 0)
		return resp, e
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the base transport,
// if it has a CloseIdleConnections method.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// replayable reports whether sending req again is safe and possible.
func replayable(req *http.Request) bool {
	if req.Header.Get("Upgrade") != "" {
		return false
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
	default:
		if req.Header.Get(HeaderIdempotencyKey) == "" {
			return false
		}
	}
	return !hasBody(req) || req.GetBody != nil
}

func hasBody(req *http.Request) bool { return req.Body != nil && req.Body != http.NoBody }

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close() // a request body's Close reports nothing the caller can act on
	}
}

// cannotSucceed reports whether an error from base will recur on every
// attempt. net/http gives a request it refuses to send no error type, so
// the text of its errors decides.
func cannotSucceed(err error) bool {
	_, certificate := errors.AsType[*tls.CertificateVerificationError](err)
	_, address := errors.AsType[*net.AddrError](err) // such as an invalid port
	msg := err.Error()
	return certificate || address ||
		strings.Contains(msg, "unsupported protocol scheme") ||
		strings.Contains(msg, "net/http: invalid ") || // header or trailer
		strings.Contains(msg, "http: no Host in request URL")
}

// drain reads what is left of a discarded response, within maxDrain and
// drainTimeout, and closes it.
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

// endpointOf names a request for error messages: the method and the URL
// without user info, query or fragment, which may hold secrets.
func endpointOf(req *http.Request) string {
	u := *req.URL
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return cmp.Or(req.Method, http.MethodGet) + " " + u.String()
}

// statusError is a response the retry loop and a Policy's Classify see as
// an error (see Transport).
type statusError struct {
	endpoint string
	status   int
	after    time.Duration
}

// Error names the endpoint and the status, such as
// "GET http://billing/v1/charges: 503 Service Unavailable".
func (e *statusError) Error() string {
	return fmt.Sprintf("%s: %d %s", e.endpoint, e.status, http.StatusText(e.status))
}

func (e *statusError) HTTPStatus() int           { return e.status }
func (e *statusError) Retryable() bool           { return retryafter.RetryableStatus(e.status) }
func (e *statusError) RetryAfter() time.Duration { return e.after }

// cancelOnClose ends an attempt's context when the response body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
