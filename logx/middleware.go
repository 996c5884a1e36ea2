package logx

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/propagation"
)

// Keys of the attributes of the access line that [Middleware] logs.
const (
	KeyMethod   = "method"
	KeyPath     = "path"
	KeyStatus   = "status"
	KeyBytes    = "bytes"
	KeyDuration = "duration"
	// KeyPanic is added, true, when the handler panicked.
	KeyPanic = "panic"
	// KeyHijacked is added, true, when the handler took over the connection.
	KeyHijacked = "hijacked"
	// KeyAborted is added, true, when the handler abandoned the response:
	// with panic(http.ErrAbortHandler), as httputil.ReverseProxy does when a
	// client goes away mid-stream, or by ending its goroutine with
	// runtime.Goexit. net/http treats either as a silent abort, not a panic,
	// and so does the access line.
	KeyAborted = "aborted"
)

// ending says how the handler ended, for the access line.
type ending uint8

const (
	endReturned ending = iota
	endPanicked
	endAborted // panic(http.ErrAbortHandler) or runtime.Goexit
)

// MiddlewareOptions configures [Middleware]. A nil *MiddlewareOptions or the
// zero value gives the defaults noted on each field.
type MiddlewareOptions struct {
	// Logger receives the access lines. Nil means slog.Default() at the time
	// of each line. A logger from [New] or over [NewHandler] adds the
	// request and trace IDs itself; for any other logger the middleware adds
	// request_id to the line, in a form that a logx handler further down
	// (behind a slog.MultiHandler, say) recognizes and does not repeat.
	Logger *slog.Logger

	// RequestIDHeader is the header that carries the request ID in and out.
	// Empty, or a string that is not a valid header name, means
	// [HeaderRequestID].
	RequestIDHeader string

	// IgnoreIncomingID makes the middleware always generate the request ID,
	// for edge services that must not let clients choose it. By default a
	// valid incoming ID (see [ValidRequestID]) is kept.
	IgnoreIncomingID bool

	// NewID generates request IDs. Nil means [NewRequestID]. An ID it
	// returns that is not valid is replaced by one from NewRequestID.
	NewID func() string

	// Propagator extracts the caller's trace context from the request
	// headers. Nil means propagation.TraceContext{} (W3C traceparent and
	// tracestate). The global OpenTelemetry propagator is not used, because
	// it does nothing until the program sets one.
	Propagator propagation.TextMapPropagator

	// Message is the message of the access line. Empty means "http request".
	Message string

	// SkipAccessLog, when it returns true for a request, suppresses that
	// request's access line (health probes, for instance). The request still
	// gets its ID and trace context.
	SkipAccessLog func(r *http.Request) bool
}

// middleware is the resolved configuration of one Middleware.
type middleware struct {
	logger     *slog.Logger // nil: slog.Default() at each line
	logxLogger bool         // logger's handler adds request_id itself
	header     string
	ignoreIn   bool
	newID      func() string
	propagator propagation.TextMapPropagator
	message    string
	skip       func(*http.Request) bool
	now        func() time.Time // a seam for tests
}

// Middleware returns HTTP middleware that gives every request a request ID
// and its caller's trace context, and logs one access line per request.
//
// For each request it takes the ID from the incoming request ID header when
// that is valid (see [ValidRequestID]; anything else, such as a value with
// newlines, control characters, non-ASCII text or megabytes of data, is
// dropped, never logged or echoed), or else generates one. It sets the ID on
// the response header before calling the next handler, so that anything
// writing the response can read it, and stores it in the request's context
// ([RequestID]). It extracts the W3C trace context from the request headers
// into the context too, so logs carry trace_id and span_id.
//
// When the next handler returns, it logs an access line with the method, the
// path (percent-encoded, without the query string), the status, the body
// bytes written and the duration (a time.Duration: nanoseconds in JSON), at
// level Error for a 5xx status, Warn for 4xx and Info otherwise. If the next
// handler panics, the line is still logged, at level Error with panic=true
// and status 500 unless a status was already sent, and the panic continues
// up the stack unchanged, not recovered, for a recovery handler to deal
// with. A handler that hijacks the connection is logged with hijacked=true
// and status 0 unless it set one first.
//
// The ResponseWriter given to the next handler keeps http.Flusher,
// http.Hijacker and io.ReaderFrom working, and unwraps for
// http.ResponseController. A request that already went through a logx
// Middleware (it is stacked twice) passes through untouched: one ID, one
// access line. A nil next handler answers 404.
func Middleware(opts *MiddlewareOptions) func(http.Handler) http.Handler {
	return newMiddleware(opts).wrap
}

func (m *middleware) wrap(next http.Handler) http.Handler {
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.serve(w, r, next)
	})
}

func newMiddleware(opts *MiddlewareOptions) *middleware {
	if opts == nil {
		opts = &MiddlewareOptions{}
	}
	m := &middleware{
		logger:     opts.Logger,
		header:     http.CanonicalHeaderKey(HeaderRequestID),
		ignoreIn:   opts.IgnoreIncomingID,
		newID:      opts.NewID,
		propagator: opts.Propagator,
		message:    opts.Message,
		skip:       opts.SkipAccessLog,
		now:        time.Now,
	}
	if m.logger != nil {
		_, m.logxLogger = m.logger.Handler().(*handler)
	}
	if h := opts.RequestIDHeader; h != "" {
		if validHeaderName(h) {
			m.header = http.CanonicalHeaderKey(h)
		} else {
			m.log().LogAttrs(context.Background(), slog.LevelWarn,
				"logx: MiddlewareOptions.RequestIDHeader is not a valid header name; using "+HeaderRequestID,
				slog.String("header", sanitizeForLog(h)))
		}
	}
	if m.propagator == nil {
		m.propagator = propagation.TraceContext{}
	}
	if m.message == "" {
		m.message = "http request"
	}
	return m
}

// log returns the logger to write to.
func (m *middleware) log() *slog.Logger {
	if m.logger != nil {
		return m.logger
	}
	return slog.Default()
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' ||
			c == '*' || c == '+' || c == '-' || c == '.' || c == '^' || c == '_' ||
			c == '`' || c == '|' || c == '~':
		default:
			return false
		}
	}
	return true
}

// served is allocated once per request: the response recorder and the
// context state live together.
type served struct {
	rw responseWriter
	st requestState
}

func (m *middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	ctx := r.Context()
	if st := stateFrom(ctx); st != nil && st.middleware {
		next.ServeHTTP(w, r)
		return
	}
	s := &served{rw: responseWriter{w: w}}
	s.st.middleware = true
	s.st.init(m.requestID(r))
	w.Header()[m.header] = []string{s.st.id}

	ctx = m.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	ctx = context.WithValue(ctx, ctxKey{}, &s.st)
	r = r.WithContext(ctx)
	logIt := m.skip == nil || !m.skip(r)
	start := m.now()
	returned := false
	defer func() {
		// Runs on a normal return and while a panic unwinds. A panic is
		// recovered only to tell an abort from a failure, and raised again
		// with the same value from this frame, which is still above the
		// panicking one: the recovery handler above sees its stack intact.
		if returned {
			if logIt {
				m.access(ctx, r, &s.rw, m.now().Sub(start), endReturned)
			}
			return
		}
		v := recover()
		if logIt {
			end := endPanicked
			// A nil v is runtime.Goexit: panic(nil) recovers as a
			// *runtime.PanicNilError.
			if v == http.ErrAbortHandler || v == nil {
				end = endAborted
			}
			m.access(ctx, r, &s.rw, m.now().Sub(start), end)
		}
		if v != nil { // nil: runtime.Goexit, which goes on unwinding by itself
			panic(v)
		}
	}()
	next.ServeHTTP(&s.rw, r)
	returned = true
}

// requestID returns the valid incoming ID, or a new one.
func (m *middleware) requestID(r *http.Request) string {
	if !m.ignoreIn {
		if v := r.Header[m.header]; len(v) > 0 && ValidRequestID(v[0]) {
			return v[0]
		}
	}
	if m.newID != nil {
		if id := m.newID(); ValidRequestID(id) {
			return id
		}
	}
	return NewRequestID()
}

func (m *middleware) access(ctx context.Context, r *http.Request, rw *responseWriter, d time.Duration, end ending) {
	panicked := end == endPanicked
	status := rw.status
	switch {
	case rw.wroteHeader:
	case rw.hijacked:
		status = 0 // nothing was sent through net/http
	case panicked:
		status = http.StatusInternalServerError
	case end == endAborted:
		status = 0 // the response was abandoned before its header
	default:
		status = http.StatusOK
	}
	level := slog.LevelInfo
	switch {
	case panicked || status >= 500:
		level = slog.LevelError
	case status >= 400 || end == endAborted:
		level = slog.LevelWarn
	}
	logger, logxLogger := m.logger, m.logxLogger
	if logger == nil {
		logger = slog.Default()
		_, logxLogger = logger.Handler().(*handler)
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	path := ""
	if r.URL != nil {
		path = r.URL.EscapedPath()
	}
	attrs := [8]slog.Attr{
		slog.String(KeyMethod, r.Method),
		slog.String(KeyPath, path),
		slog.Int(KeyStatus, status),
		slog.Int64(KeyBytes, rw.bytes),
		slog.Duration(KeyDuration, d),
	}
	n := 5
	switch end {
	case endPanicked:
		attrs[n] = slog.Bool(KeyPanic, true)
		n++
	case endAborted:
		attrs[n] = slog.Bool(KeyAborted, true)
		n++
	}
	if rw.hijacked {
		attrs[n] = slog.Bool(KeyHijacked, true)
		n++
	}
	if !logxLogger {
		attrs[n] = slog.Any(KeyRequestID, accessID(RequestID(ctx)))
		n++
	}
	logger.LogAttrs(ctx, level, m.message, attrs[:n]...)
}

// accessID is the request ID that Middleware adds to its access line when
// the logger's handler is not logx's. It logs as the string, except that a
// logx handler further down the chain, which adds request_id itself, leaves
// it out.
type accessID string

// LogValue implements slog.LogValuer.
func (id accessID) LogValue() slog.Value { return slog.StringValue(string(id)) }

// isAccessID reports whether a is the request ID Middleware added.
func isAccessID(a slog.Attr) bool {
	if a.Key != KeyRequestID || a.Value.Kind() != slog.KindLogValuer {
		return false
	}
	_, ok := a.Value.Any().(accessID)
	return ok
}

// sanitizeForLog returns s if it is short printable ASCII, or a placeholder.
func sanitizeForLog(s string) string {
	if len(s) > 256 {
		return "(too long)"
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "(not printable)"
		}
	}
	return s
}
