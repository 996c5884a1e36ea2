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

// An Extractor returns an attribute to add to every record from the record's
// context, such as a tenant or user ID kept there by the application. It
// returns the zero slog.Attr when the context holds nothing for it. The
// attribute is placed at the root of the record and redacted like any other.
// An Extractor must be safe for concurrent use and should be cheap: it runs
// for every record.
type Extractor func(ctx context.Context) slog.Attr

// HandlerOptions configures [NewHandler]. A nil *HandlerOptions or the zero
// value gives the defaults: the [DefaultRedactKeys] denylist and no
// extractors.
type HandlerOptions struct {
	// RedactKeys adds keys to [DefaultRedactKeys]. They are matched the same
	// way: ignoring ASCII case and the separators '_', '-', '.' and ' ', and
	// also as the last word of a longer key ("ssn" matches "customer_ssn").
	RedactKeys []string

	// Extractors add attributes from the context to every record, after the
	// request and trace IDs. Nil entries are ignored.
	Extractors []Extractor
}

// handlerConfig is shared, read-only, by a handler and all the handlers
// derived from it with WithAttrs and WithGroup.
type handlerConfig struct {
	m          *matcher
	extractors []Extractor
	// spanOnly stands in for the request state of contexts that have a span
	// but no request ID (a job traced without Middleware), so that their
	// trace and span IDs are hex-encoded once per span too, not per line.
	spanOnly requestState
}

// handler is the slog.Handler returned by NewHandler.
//
// Groups are kept here rather than passed to the inner handler, because the
// context attributes must stay at the root of the record: once a group is
// open, attributes added with WithAttrs and the record's own attributes are
// nested by hand in Handle.
type handler struct {
	inner  slog.Handler // holds the attributes added before any group
	cfg    *handlerConfig
	groups []string      // open groups, outermost first
	gattrs [][]slog.Attr // gattrs[i]: attributes added while groups[:i+1] were open
}

var _ slog.Handler = (*handler)(nil)

// NewHandler returns a slog.Handler that passes every record to inner after
// adding, from the record's context, request_id (see [WithRequestID]),
// trace_id and span_id when the context holds a valid OpenTelemetry span
// context, and the attributes of opts.Extractors. These always land at the
// root of the record, even after WithGroup. Before inner sees them, the
// record's attributes, those added with WithAttrs and those in nested groups
// have their LogValuers resolved and the values of denylisted keys replaced
// by [Redacted]. Enabled is passed straight to inner.
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
		inner: inner,
		cfg: &handlerConfig{
			m:          newMatcher(opts.RedactKeys),
			extractors: slices.DeleteFunc(slices.Clone(opts.Extractors), func(e Extractor) bool { return e == nil }),
		},
	}
}

// Enabled reports whether the inner handler handles records at level.
func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

// WithAttrs returns a handler whose records include attrs, redacted and with
// their LogValuers resolved, inside the groups open at this point.
func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = h.cfg.m.rewrite(a)
	}
	if len(h.groups) == 0 {
		return &handler{inner: h.inner.WithAttrs(out), cfg: h.cfg}
	}
	h2 := *h
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
	return &handler{
		inner:  h.inner,
		cfg:    h.cfg,
		groups: append(slices.Clip(h.groups), name),
		gattrs: append(slices.Clip(h.gattrs), nil),
	}
}

// Handle adds the context attributes to r, redacts it, and passes it to the
// inner handler. When no group is open and no attribute needs rewriting, r
// is passed on as it is, with only the context attributes appended.
func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		ctx = context.Background()
	}
	sc := trace.SpanContextFromContext(ctx)
	st := stateFrom(ctx)
	if st == nil {
		st = &h.cfg.spanOnly
	}
	add := st.attrs(&sc) // request_id, trace_id, span_id
	if len(h.groups) > 0 || (r.NumAttrs() > 0 && h.needsRewrite(&r)) {
		r = h.rebuild(r, st.id != "")
	} else if r.NumAttrs() > inlineAttrs {
		// The record's overflow slice may share its spare capacity with the
		// caller's copy: Clone clips it, so that appending copies rather
		// than writing into the caller's array. With no more attributes
		// than fit inline the overflow slice is nil, and appending
		// allocates a new one.
		r = r.Clone()
	}
	if len(add) > 0 {
		r.AddAttrs(add...)
	}
	for _, ex := range h.cfg.extractors {
		a := ex(ctx)
		if a.Key == "" && a.Value.Equal(slog.Value{}) {
			continue
		}
		r.AddAttrs(h.cfg.m.rewriteIfNeeded(a))
	}
	return h.inner.Handle(ctx, r)
}

// inlineAttrs is how many attributes a slog.Record holds without its
// overflow slice.
const inlineAttrs = 5

// needsRewrite reports whether any attribute of r must be rewritten.
func (h *handler) needsRewrite(r *slog.Record) bool {
	found := false
	m := h.cfg.m
	// The closure is small enough to be inlined into Attrs, so each
	// attribute costs one direct call.
	r.Attrs(func(a slog.Attr) bool {
		found = m.needsRewrite(a)
		return !found
	})
	return found
}

// rebuild returns a new record with r's attributes rewritten and nested in
// the open groups, together with the attributes added inside them. A group
// whose name is denylisted is redacted whole, as a group attribute with that
// key would be. With dropID, the request_id that Middleware adds to its
// access line for handlers other than logx's is left out: this handler adds
// its own.
func (h *handler) rebuild(r slog.Record, dropID bool) slog.Record {
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	m := h.cfg.m
	if len(h.groups) == 0 {
		r.Attrs(func(a slog.Attr) bool {
			if !dropID || !isAccessID(a) {
				nr.AddAttrs(m.rewriteIfNeeded(a))
			}
			return true
		})
		return nr
	}
	// Build the innermost group first: its attributes added with WithAttrs,
	// then the record's own.
	last := len(h.groups) - 1
	content := make([]slog.Attr, 0, len(h.gattrs[last])+r.NumAttrs())
	content = append(content, h.gattrs[last]...)
	r.Attrs(func(a slog.Attr) bool {
		if !dropID || !isAccessID(a) {
			content = append(content, m.rewriteIfNeeded(a))
		}
		return true
	})
	g := m.redactGroup(slog.Attr{Key: h.groups[last], Value: slog.GroupValue(content...)})
	for i := last - 1; i >= 0; i-- {
		outer := make([]slog.Attr, 0, len(h.gattrs[i])+1)
		outer = append(outer, h.gattrs[i]...)
		outer = append(outer, g)
		// GroupValue drops empty groups, so a group left with nothing in
		// it disappears, as the slog.Handler contract asks.
		g = m.redactGroup(slog.Attr{Key: h.groups[i], Value: slog.GroupValue(outer...)})
	}
	nr.AddAttrs(g)
	return nr
}
