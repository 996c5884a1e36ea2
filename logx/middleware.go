package logx

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/hardenkit/harden/internal/recorder"
)

// MiddlewareOptions configures [Middleware]. A nil *MiddlewareOptions or the
// zero value gives the defaults noted on each field.
type MiddlewareOptions struct {
	// Logger receives the access lines. Nil means slog.Default() at the time
	// of each line.
	Logger *slog.Logger

	// IgnoreIncomingID makes the middleware always generate the request ID,
	// for edge services that must not let clients choose it. By default a
	// valid incoming ID (see [ValidRequestID]) is kept.
	IgnoreIncomingID bool

	// NewID generates request IDs. Nil means [NewRequestID]. An ID it
	// returns that is not valid is replaced by one from NewRequestID.
	NewID func() string

	// Propagator extracts the caller's trace context from the request
	// headers. Nil means propagation.TraceContext{} (W3C traceparent and
	// tracestate), not the global propagator, which does nothing until set.
	Propagator propagation.TextMapPropagator

	// Message is the message of the access line. Empty means "http request".
	Message string

	// SkipAccessLog, when it returns true for a request, suppresses its
	// access line (health probes, say); it still gets its ID and trace context.
	SkipAccessLog func(r *http.Request) bool
}

// Middleware returns HTTP middleware that gives every request a request ID
// and its caller's trace context, and logs one access line per request.
//
// The ID is the incoming [HeaderRequestID] if valid (see [ValidRequestID];
// anything else is dropped, never logged or echoed), or else a new one. It is
// set on the response header before the next handler runs, and stored in the
// request's context ([RequestID]) with the caller's trace context.
//
// The access line has method, path (percent-encoded, without the query),
// status, bytes (of the body), duration and request_id, at level Error for a
// 5xx status, Warn for 4xx and Info otherwise. A panic is logged at level
// Error with panic=true, and status 500 unless one was sent, and goes on up
// the stack unchanged. A handler that abandons the response
// (panic(http.ErrAbortHandler), as httputil.ReverseProxy does, or
// runtime.Goexit) is logged at level Warn with aborted=true; one that hijacks
// the connection with hijacked=true and status 0 unless it set one. A request
// whose body the server stopped reading at its read timeout is logged as 408
// if the handler answered 499 (the client closed the request, which it did
// not) or nothing.
//
// The ResponseWriter given to the next handler keeps http.Flusher,
// http.Hijacker and io.ReaderFrom and unwraps for http.ResponseController. A
// request already under a logx Middleware passes through a second one
// untouched. A nil next handler answers 404.
func Middleware(opts *MiddlewareOptions) func(http.Handler) http.Handler {
	m := &MiddlewareOptions{}
	if opts != nil {
		*m = *opts
	}
	if m.NewID == nil {
		m.NewID = NewRequestID
	}
	m.Propagator = cmp.Or[propagation.TextMapPropagator](m.Propagator, propagation.TraceContext{})
	m.Message = cmp.Or(m.Message, "http request")
	return func(next http.Handler) http.Handler {
		if next == nil {
			next = http.NotFoundHandler()
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(w, r, next)
		})
	}
}

// served is allocated once per request: the response recorder, the request
// body's reader and the context state live together.
type served struct {
	rw   recorder.Writer
	body timeoutBody
	st   requestState
}

// timeoutBody records whether a read of the request body hit the server's
// read deadline.
type timeoutBody struct {
	io.ReadCloser
	timedOut atomic.Bool // the handler may read the body on another goroutine
}

func (b *timeoutBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.timedOut.Store(true)
	}
	return n, err
}

func (m *MiddlewareOptions) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	ctx := r.Context()
	if st := stateFrom(ctx); st != nil && st.middleware {
		next.ServeHTTP(w, r)
		return
	}
	s := &served{rw: recorder.Writer{ResponseWriter: w}}
	s.st.middleware = true
	s.st.init(m.requestID(r))
	w.Header()[HeaderRequestID] = []string{s.st.id}

	ctx = m.Propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	r = r.WithContext(context.WithValue(ctx, ctxKey{}, &s.st))
	if r.Body != nil && r.Body != http.NoBody {
		s.body.ReadCloser = r.Body
		r.Body = &s.body
	}
	logIt := m.SkipAccessLog == nil || !m.SkipAccessLog(r)
	start, returned := time.Now(), false
	defer func() {
		// Runs on a normal return and while a panic unwinds. A panic is
		// recovered only to tell an abort from a failure and raised again
		// from this frame, still above the panicking one, so the recovery
		// handler above sees its stack intact. A nil v is runtime.Goexit
		// (panic(nil) recovers as a *runtime.PanicNilError), which goes on
		// unwinding by itself.
		var v any
		if !returned {
			v = recover()
		}
		if logIt {
			panicked := v != nil && v != http.ErrAbortHandler
			m.access(r, s, time.Since(start), panicked, !returned && !panicked)
		}
		if v != nil {
			panic(v)
		}
	}()
	next.ServeHTTP(&s.rw, r)
	returned = true
}

// requestID returns the valid incoming ID, or a new one.
func (m *MiddlewareOptions) requestID(r *http.Request) string {
	if v := r.Header[HeaderRequestID]; !m.IgnoreIncomingID && len(v) > 0 && ValidRequestID(v[0]) {
		return v[0]
	}
	if id := m.NewID(); ValidRequestID(id) {
		return id
	}
	return NewRequestID()
}

// access logs the access line; aborted means panic(http.ErrAbortHandler) or
// runtime.Goexit.
func (m *MiddlewareOptions) access(r *http.Request, s *served, d time.Duration, panicked, aborted bool) {
	rw := &s.rw
	status := rw.Status
	switch {
	case status != 0:
	case rw.Hijacked, aborted:
		// Nothing was sent through net/http.
	case panicked:
		status = http.StatusInternalServerError
	default:
		status = http.StatusOK // net/http sends it when the handler returns
	}
	if s.body.timedOut.Load() && (status == 499 || status == 0 && !rw.Hijacked) {
		status = http.StatusRequestTimeout
	}
	level := slog.LevelInfo
	switch {
	case panicked || status >= 500:
		level = slog.LevelError
	case status >= 400 || aborted:
		level = slog.LevelWarn
	}
	logger, ctx := cmp.Or(m.Logger, slog.Default()), r.Context()
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
		slog.Int("status", status), slog.Int64("bytes", rw.Bytes), slog.Duration("duration", d))
	if panicked {
		attrs = append(attrs, slog.Bool("panic", true))
	}
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	if rw.Hijacked {
		attrs = append(attrs, slog.Bool("hijacked", true))
	}
	attrs = append(attrs, slog.String(KeyRequestID, s.st.id))
	logger.LogAttrs(ctx, level, m.Message, attrs...)
}
