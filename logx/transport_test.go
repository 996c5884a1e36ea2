package logx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// echoServer answers with the request's X-Request-ID and traceparent in
// response headers.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Echo-Request-Id", r.Header.Get(HeaderRequestID))
		w.Header().Set("Echo-Traceparent", r.Header.Get("traceparent"))
		w.Header().Set("Echo-Custom", r.Header.Get("X-Test-Trace"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, client *http.Client, req *http.Request) *http.Response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestTransportPropagates(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	client := &http.Client{Transport: Transport(srv.Client().Transport)}

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("t").Start(WithRequestID(context.Background(), "req-out"), "call")
	defer span.End()

	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	req.Header.Set("Accept", "text/plain")
	resp := do(t, client, req)

	if got := resp.Header.Get("Echo-Request-Id"); got != "req-out" {
		t.Errorf("server saw X-Request-ID %q, want req-out", got)
	}
	sc := span.SpanContext()
	want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
	if got := resp.Header.Get("Echo-Traceparent"); got != want {
		t.Errorf("server saw traceparent %q, want %q", got, want)
	}
	if len(req.Header) != 1 || req.Header.Get("Accept") != "text/plain" {
		t.Errorf("caller's request headers changed: %v", req.Header)
	}
}

func TestTransportRemoteSpanAndNilBase(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	// A nil base sends through http.DefaultTransport.
	client := &http.Client{Transport: Transport(nil)}
	t.Cleanup(client.CloseIdleConnections)
	ctx := withSpan(context.Background(), testTraceID, testSpanID)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp := do(t, client, req)
	if got := resp.Header.Get("Echo-Traceparent"); got != testTraceparent {
		t.Errorf("traceparent %q, want %q", got, testTraceparent)
	}
	if got := resp.Header.Get("Echo-Request-Id"); got != "" {
		t.Errorf("X-Request-ID %q sent without one in the context", got)
	}
	if req.Header.Get("traceparent") != "" {
		t.Error("caller's request mutated")
	}
}

// recordingTransport keeps the last request it was given.
type recordingTransport struct {
	req    *http.Request
	closed bool
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.req = req
	return &http.Response{StatusCode: 204, Body: http.NoBody, Request: req}, nil
}

func (rt *recordingTransport) CloseIdleConnections() { rt.closed = true }

func TestTransportCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ctx        context.Context
		header     string // X-Request-ID the caller set
		wantSame   bool   // the caller's request is passed on untouched
		wantID     string
		wantParent string
	}{
		{name: "nothing to add", ctx: context.Background(), wantSame: true},
		{name: "request ID", ctx: WithRequestID(context.Background(), "r-1"), wantID: "r-1"},
		{name: "invalid request ID not sent", ctx: WithRequestID(context.Background(), "bad\r\nid"), wantSame: true},
		{name: "caller's header kept", ctx: WithRequestID(context.Background(), "r-2"), header: "mine", wantSame: true, wantID: "mine"},
		{
			name: "span only", ctx: withSpan(context.Background(), testTraceID, testSpanID),
			wantParent: testTraceparent,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := &recordingTransport{}
			req, _ := http.NewRequestWithContext(tt.ctx, "GET", "http://example.invalid/", nil)
			if tt.header != "" {
				req.Header.Set(HeaderRequestID, tt.header)
			}
			if _, err := Transport(base).RoundTrip(req); err != nil {
				t.Fatal(err)
			}
			if (base.req == req) != tt.wantSame {
				t.Errorf("request passed on unchanged: %v, want %v", base.req == req, tt.wantSame)
			}
			if got := base.req.Header.Get(HeaderRequestID); got != tt.wantID {
				t.Errorf("X-Request-ID = %q, want %q", got, tt.wantID)
			}
			if got := base.req.Header.Get("traceparent"); got != tt.wantParent {
				t.Errorf("traceparent = %q, want %q", got, tt.wantParent)
			}
			if !tt.wantSame && (req.Header.Get(HeaderRequestID) != tt.header || req.Header.Get("traceparent") != "") {
				t.Errorf("caller's request mutated: %v", req.Header)
			}
		})
	}
}

func TestRoundTripperPropagator(t *testing.T) {
	t.Parallel()
	srv := echoServer(t)
	var extracted string
	rt := &RoundTripper{Base: srv.Client().Transport, Propagator: headerPropagator{&extracted}}
	req, _ := http.NewRequestWithContext(WithRequestID(context.Background(), "c-1"), "GET", srv.URL, nil)
	resp := do(t, &http.Client{Transport: rt}, req)
	if got := resp.Header.Get("Echo-Custom"); got != "injected" {
		t.Errorf("custom propagator header = %q, want injected", got)
	}
	if got := resp.Header.Get("Echo-Request-Id"); got != "c-1" {
		t.Errorf("X-Request-ID = %q, want c-1", got)
	}
}

func TestRoundTripperZeroValueAndErrors(t *testing.T) {
	t.Parallel()
	var rt RoundTripper
	if _, err := rt.RoundTrip(nil); err == nil || err.Error() != "logx: RoundTrip: nil request" {
		t.Errorf("RoundTrip(nil) error = %v", err)
	}
	srv := echoServer(t)
	req, _ := http.NewRequestWithContext(WithRequestID(context.Background(), "z-1"), "GET", srv.URL, nil)
	resp := do(t, &http.Client{Transport: &rt}, req)
	if got := resp.Header.Get("Echo-Request-Id"); got != "z-1" {
		t.Errorf("zero RoundTripper sent X-Request-ID %q, want z-1", got)
	}

	base := &recordingTransport{}
	(&http.Client{Transport: Transport(base)}).CloseIdleConnections()
	if !base.closed {
		t.Error("CloseIdleConnections not forwarded")
	}

	failing := Transport(roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("dial refused")
	}))
	req, _ = http.NewRequestWithContext(WithRequestID(context.Background(), "e-1"), "GET", "http://example.invalid/", nil)
	if _, err := failing.RoundTrip(req); err == nil || err.Error() != "dial refused" {
		t.Errorf("base error = %v, want it returned as is", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var _ propagation.TextMapPropagator = headerPropagator{}
