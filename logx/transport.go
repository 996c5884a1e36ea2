package logx

import (
	"cmp"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// RoundTripper is an http.RoundTripper that sends the request ID and the
// trace context of each request's context to the server: the ID in
// [HeaderRequestID], the trace context through the propagator (W3C
// traceparent by default). It sends a copy of the request with the headers
// added and never changes the caller's request.
//
// The zero value is ready to use: it sends through http.DefaultTransport
// with propagation.TraceContext{}. A RoundTripper is safe for concurrent use
// if Base and Propagator are; do not change its fields while it is in use.
type RoundTripper struct {
	// Base sends the requests. Nil means http.DefaultTransport.
	Base http.RoundTripper

	// Propagator injects the trace context. Nil means
	// propagation.TraceContext{}, not the global propagator.
	Propagator propagation.TextMapPropagator
}

var _ http.RoundTripper = (*RoundTripper)(nil)

// Transport returns a [RoundTripper] over base with the defaults: outbound
// requests carry their context's request ID and its trace context in
// traceparent. A nil base means http.DefaultTransport.
//
//	client := &http.Client{Transport: logx.Transport(nil)}
//	resp, err := client.Do(req.WithContext(ctx)) // ctx from an incoming request
func Transport(base http.RoundTripper) http.RoundTripper {
	return &RoundTripper{Base: base}
}

// RoundTrip implements http.RoundTripper. A request ID header the caller set
// on the request is kept; the context's ID is sent only if it is valid (see
// [ValidRequestID]), so it cannot break or inject headers.
func (t *RoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil {
		return nil, errors.New("logx: RoundTrip: nil request")
	}
	base := cmp.Or[http.RoundTripper](t.Base, http.DefaultTransport)
	ctx := req.Context()
	id := RequestID(ctx)
	sendID := ValidRequestID(id) && req.Header.Get(HeaderRequestID) == ""
	p := t.Propagator
	if p == nil {
		if !sendID && !trace.SpanContextFromContext(ctx).IsValid() {
			// Nothing to add: W3C trace context needs a valid span.
			return base.RoundTrip(req)
		}
		p = propagation.TraceContext{}
	}
	// RoundTrippers must not modify the request, so headers go on a clone.
	out := req.Clone(ctx)
	if out.Header == nil {
		out.Header = make(http.Header)
	}
	if sendID {
		out.Header.Set(HeaderRequestID, id)
	}
	p.Inject(ctx, propagation.HeaderCarrier(out.Header))
	return base.RoundTrip(out)
}

// CloseIdleConnections closes the idle connections of Base, if it can, so
// that http.Client.CloseIdleConnections reaches through the wrapper.
func (t *RoundTripper) CloseIdleConnections() {
	if c, ok := cmp.Or[http.RoundTripper](t.Base, http.DefaultTransport).(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
