package logx

import (
	"context"
	"log/slog"
	"os"
	"slices"

	"go.opentelemetry.io/otel/trace"
)

// Keys of the attributes a logx handler adds from the context. They always
// sit at the root of the record, whatever groups the logger has opened.
const (
	KeyRequestID = "request_id"
	KeyTraceID   = "trace_id"
	KeySpanID    = "span_id"
)

// An Extractor returns an attribute to add at the root of every record from
// the record's context, such as a tenant ID kept there by the application, or
// the zero slog.Attr when the context holds none. It runs for every record,
// so it must be safe for concurrent use and should be cheap.
type Extractor func(ctx context.Context) slog.Attr

// HandlerOptions configures [NewHandler]. A nil *HandlerOptions or the zero
// value gives the defaults: the [DefaultRedactKeys] denylist and no
// extractors.
type HandlerOptions struct {
	// RedactKeys adds keys to [DefaultRedactKeys], matched the same way.
	RedactKeys []string

	// Extractors add attributes from the context to every record, after the
	// request and trace IDs. Nil entries are ignored.
	Extractors []Extractor
}

// handler is the slog.Handler returned by NewHandler. It keeps the groups
// rather than passing them to inner, so that the context attributes stay at
// the root: under a group, Handle nests the other attributes by hand.
type handler struct {
	inner      slog.Handler // holds the attributes added before any group
	m          matcher
	extractors []Extractor
	spanOnly   *requestState // for contexts with a span but no request ID
	groups     []string      // open groups, outermost first
	gattrs     [][]slog.Attr // gattrs[i]: attributes added while groups[:i+1] were open
}

var _ slog.Handler = (*handler)(nil)

// NewHandler returns a slog.Handler that passes every record to inner with
// the context attributes added at its root and its own attributes rewritten,
// as the package documentation describes: request_id (see [WithRequestID],
// kept as is when the record has its own at the root), trace_id and span_id
// of a valid OpenTelemetry span context, and the extractors' attributes;
// LogValuers resolved, durations as Go duration strings, and denylisted keys
// redacted without calling their LogValuers. Enabled is passed to inner.
//
// A nil inner means a JSON handler writing to os.Stdout at level Info; nil
// opts means the defaults. The handler is safe for concurrent use if inner
// is.
func NewHandler(inner slog.Handler, opts *HandlerOptions) slog.Handler {
	if inner == nil {
		inner = slog.NewJSONHandler(os.Stdout, nil)
	}
	if opts == nil {
		opts = &HandlerOptions{}
	}
	return &handler{
		inner:      inner,
		m:          newMatcher(opts.RedactKeys),
		extractors: slices.DeleteFunc(slices.Clone(opts.Extractors), func(e Extractor) bool { return e == nil }),
		spanOnly:   &requestState{},
	}
}

// Enabled reports whether the inner handler handles records at level.
func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// WithAttrs returns a handler whose records include attrs, rewritten as the
// record's own are, inside the groups open at this point.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = h.m.rewrite(a, 0)
	}
	h2 := *h
	if len(h.groups) == 0 {
		h2.inner = h.inner.WithAttrs(out)
		return &h2
	}
	h2.gattrs = slices.Clone(h.gattrs)
	last := len(h2.gattrs) - 1
	h2.gattrs[last] = append(slices.Clip(h2.gattrs[last]), out...)
	return &h2
}

// WithGroup returns a handler that nests the attributes added later, and
// those of each record, in a group called name. The context attributes stay
// at the root. An empty name returns the receiver.
func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.groups = append(slices.Clip(h.groups), name)
	h2.gattrs = append(slices.Clip(h.gattrs), nil)
	return &h2
}

// Handle adds the context attributes to r, rewrites its attributes, and
// passes it to the inner handler.
func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		ctx = context.Background()
	}
	st := stateFrom(ctx)
	if st == nil {
		st = h.spanOnly
	}
	add := st.attrs(trace.SpanContextFromContext(ctx))
	rewrite, hasID := len(h.groups) > 0, false
	r.Attrs(func(a slog.Attr) bool {
		rewrite = rewrite || h.m.needsRewrite(a)
		hasID = hasID || a.Key == KeyRequestID
		return true
	})
	if rewrite {
		r = h.rebuild(r)
	} else {
		r = r.Clone() // so that adding attributes cannot write into the caller's record
	}
	if hasID && len(h.groups) == 0 && len(add) > 0 && add[0].Key == KeyRequestID {
		add = add[1:]
	}
	r.AddAttrs(add...)
	for _, ex := range h.extractors {
		if a := ex(ctx); !a.Equal(slog.Attr{}) {
			r.AddAttrs(h.m.rewrite(a, 0))
		}
	}
	return h.inner.Handle(ctx, r)
}

// rebuild returns a new record with r's attributes rewritten and nested in
// the open groups, with the attributes added inside them. A group whose name
// is denylisted is redacted whole, as a group attribute with that key is.
func (h *handler) rebuild(r slog.Record) slog.Record {
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, h.m.rewrite(a, 0))
		return true
	})
	for i := len(h.groups) - 1; i >= 0; i-- {
		// GroupValue drops empty groups, so a group left with nothing in it
		// disappears, as the slog.Handler contract asks.
		g := slog.GroupValue(slices.Concat(h.gattrs[i], attrs)...)
		attrs = []slog.Attr{h.m.rewrite(slog.Attr{Key: h.groups[i], Value: g}, 0)}
	}
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(attrs...)
	return nr
}
