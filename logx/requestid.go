package logx

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
)

// HeaderRequestID is the default HTTP header that carries a request ID, both
// on incoming requests and responses ([Middleware]) and on outgoing requests
// ([Transport]). Other packages read it from the response to correlate their
// output with the logs.
const HeaderRequestID = "X-Request-ID"

// MaxRequestIDLen is the longest request ID accepted from outside the process.
const MaxRequestIDLen = 128

// ctxKey is the context key under which a *requestState is stored.
type ctxKey struct{}

// requestState is what logx keeps in a context: the request ID, whether a
// [Middleware] already handles the request, and the context attributes ready
// to append to a record, so that logging many lines under one request and
// span builds and hex-encodes them once.
type requestState struct {
	id string
	// middleware is set when a Middleware owns the request, so that a second
	// Middleware further down the chain passes it through untouched.
	middleware bool
	idAttr     [1]slog.Attr // request_id, if id is not empty
	span       atomic.Pointer[spanAttrs]
}

func newRequestState(id string) *requestState {
	st := &requestState{}
	st.init(id)
	return st
}

func (s *requestState) init(id string) {
	s.id = id
	s.idAttr[0] = slog.String(KeyRequestID, id)
}

// spanAttrs holds the context attributes of one request and span. It is
// immutable once published.
type spanAttrs struct {
	traceID trace.TraceID
	spanID  trace.SpanID
	attrs   [3]slog.Attr // request_id, trace_id, span_id
}

// attrs returns the attributes to add for this request: request_id, and
// trace_id and span_id when sc is valid. It reuses those of the last span
// seen under the request when sc is the same span: a request logs many lines
// under one span, and hex-encoding the IDs costs two allocations.
func (s *requestState) attrs(sc *trace.SpanContext) []slog.Attr {
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
			s.idAttr[0],
			slog.String(KeyTraceID, tid.String()),
			slog.String(KeySpanID, sid.String()),
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
	st := newRequestState(id)
	if parent := stateFrom(ctx); parent != nil {
		// Still inside the Middleware that handles the request.
		st.middleware = parent.middleware
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

// NewRequestID returns a new request ID: a UUIDv7 in its canonical 36-character
// form, so IDs sort by creation time. It never panics: if the system's random
// source fails, the random bits come from math/rand/v2 instead, which keeps
// the IDs unique in practice but not unpredictable.
func NewRequestID() string {
	return newRequestID(nil)
}

// newRequestID draws the random bits of the UUID from r (nil means the
// uuid package's source, crypto/rand by default).
func newRequestID(r io.Reader) string {
	var (
		id  uuid.UUID
		err error
	)
	if r == nil {
		id, err = uuid.NewV7()
	} else {
		id, err = uuid.NewV7FromReader(r)
	}
	if err != nil {
		// fallbackRand never fails, so neither does this.
		id, _ = uuid.NewV7FromReader(fallbackRand{})
	}
	return id.String()
}

// fallbackRand reads from math/rand/v2's runtime-seeded generator. It is safe
// for concurrent use and never returns an error.
type fallbackRand struct{}

// Read implements io.Reader.
func (fallbackRand) Read(p []byte) (int, error) {
	var b [8]byte
	for i := 0; i < len(p); i += 8 {
		binary.LittleEndian.PutUint64(b[:], rand.Uint64())
		copy(p[i:], b[:])
	}
	return len(p), nil
}

// ValidRequestID reports whether id is acceptable as a request ID coming from
// outside the process: 1 to [MaxRequestIDLen] characters, each an ASCII letter,
// digit, '.', '_' or '-'. Such an ID is safe to log and to echo in a header.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
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
