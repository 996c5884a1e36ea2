package logx

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sync/atomic"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"

	"github.com/hardenkit/harden/internal/requestid"
)

// HeaderRequestID is the HTTP header X-Request-ID, in canonical form, that
// carries a request ID in and out of [Middleware], on outgoing requests of
// [Transport], and into the request_id of result's problem responses.
const HeaderRequestID = requestid.Header

// maxRequestIDLen is the longest request ID accepted from outside the process.
const maxRequestIDLen = 128

type ctxKey struct{} // the context key of a *requestState

// requestState is what logx keeps in a context: the request ID, whether a
// [Middleware] already handles the request, and the attributes of the last
// span logged under it, so that the many lines of one request and span
// hex-encode the trace and span IDs once (two allocations a line otherwise).
type requestState struct {
	id         string
	middleware bool         // a Middleware owns the request; a second one passes it through
	idAttr     [1]slog.Attr // request_id
	span       atomic.Pointer[spanAttrs]
}

func (s *requestState) init(id string) {
	s.id, s.idAttr[0] = id, slog.String(KeyRequestID, id)
}

// spanAttrs holds the context attributes of one request and span. It is
// immutable once published.
type spanAttrs struct {
	traceID trace.TraceID
	spanID  trace.SpanID
	attrs   [3]slog.Attr // request_id, trace_id, span_id
}

// attrs returns the attributes to add for this request: request_id if the
// request has an ID, and trace_id and span_id when sc is valid.
func (s *requestState) attrs(sc trace.SpanContext) []slog.Attr {
	if !sc.IsValid() {
		if s.id == "" {
			return nil
		}
		return s.idAttr[:]
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	c := s.span.Load()
	if c == nil || c.traceID != tid || c.spanID != sid {
		c = &spanAttrs{traceID: tid, spanID: sid, attrs: [3]slog.Attr{
			s.idAttr[0], slog.String(KeyTraceID, tid.String()), slog.String(KeySpanID, sid.String()),
		}}
		s.span.Store(c)
	}
	if s.id == "" {
		return c.attrs[1:]
	}
	return c.attrs[:]
}

// WithRequestID returns a copy of ctx that carries id as its request ID.
// Every record logged with the returned context through a logx handler gets a
// request_id attribute, and [Transport] sends the ID on outgoing requests.
// The ID is stored as given; use [ValidRequestID] to check one that comes
// from outside the process. A nil ctx is treated as context.Background().
func WithRequestID(ctx context.Context, id string) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	st := &requestState{}
	st.init(id)
	if parent := stateFrom(ctx); parent != nil {
		st.middleware = parent.middleware // still inside the Middleware that handles the request
	}
	return context.WithValue(ctx, ctxKey{}, st)
}

// RequestID returns the request ID carried by ctx, or "" if there is none.
// A nil ctx has none.
func RequestID(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.id
	}
	return ""
}

func stateFrom(ctx context.Context) *requestState {
	if ctx == nil {
		return nil
	}
	st, _ := ctx.Value(ctxKey{}).(*requestState)
	return st
}

// NewRequestID returns a new request ID: a UUIDv7 in its canonical
// 36-character form, so IDs sort by creation time.
func NewRequestID() string {
	// crypto/rand's Reader never fails (Go 1.24 and later), nor then does this.
	id, _ := uuid.NewV7FromReader(rand.Reader)
	return id.String()
}

// ValidRequestID reports whether id is acceptable as a request ID coming from
// outside the process: 1 to 128 characters, each an ASCII letter, digit, '.',
// '_' or '-'. Such an ID is safe to log and to echo in a header.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
