package logx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestHandlerAddsContextAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ctx  context.Context
		want map[string]any // expected value per key; nil means absent
	}{
		{
			name: "request ID and span",
			ctx:  withSpan(WithRequestID(context.Background(), "req-1"), testTraceID, testSpanID),
			want: map[string]any{KeyRequestID: "req-1", KeyTraceID: testTraceHex, KeySpanID: testSpanHex},
		},
		{
			name: "span before request ID",
			ctx:  WithRequestID(withSpan(context.Background(), testTraceID, testSpanID), "req-2"),
			want: map[string]any{KeyRequestID: "req-2", KeyTraceID: testTraceHex, KeySpanID: testSpanHex},
		},
		{
			name: "request ID only",
			ctx:  WithRequestID(context.Background(), "req-3"),
			want: map[string]any{KeyRequestID: "req-3", KeyTraceID: nil, KeySpanID: nil},
		},
		{
			name: "span only",
			ctx:  withSpan(context.Background(), testTraceID, testSpanID),
			want: map[string]any{KeyRequestID: nil, KeyTraceID: testTraceHex, KeySpanID: testSpanHex},
		},
		{
			name: "empty request ID and span",
			ctx:  withSpan(WithRequestID(context.Background(), ""), testTraceID, testSpanID),
			want: map[string]any{KeyRequestID: nil, KeyTraceID: testTraceHex, KeySpanID: testSpanHex},
		},
		{
			name: "nothing",
			ctx:  context.Background(),
			want: map[string]any{KeyRequestID: nil, KeyTraceID: nil, KeySpanID: nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, buf := newTestLogger(nil)
			logger.InfoContext(tt.ctx, "hello", "user", "u-1")
			line := buf.only(t)
			for k, want := range tt.want {
				got, ok := line[k]
				if want == nil {
					if ok {
						t.Errorf("%s = %v, want absent", k, got)
					}
					continue
				}
				if got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			if line["user"] != "u-1" {
				t.Errorf("user = %v, want u-1", line["user"])
			}
		})
	}
}

func TestHandlerRealSpans(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("logx-test")

	logger, buf := newTestLogger(nil)
	ctx := WithRequestID(context.Background(), "req-spans")
	ctx, parent := tracer.Start(ctx, "parent")
	logger.InfoContext(ctx, "in parent")
	childCtx, child := tracer.Start(ctx, "child")
	logger.InfoContext(childCtx, "in child")
	logger.InfoContext(ctx, "in parent again")
	child.End()
	parent.End()

	lines := buf.lines(t)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3", len(lines))
	}
	wantSpans := []string{
		parent.SpanContext().SpanID().String(),
		child.SpanContext().SpanID().String(),
		parent.SpanContext().SpanID().String(),
	}
	for i, line := range lines {
		if got, want := line[KeyTraceID], parent.SpanContext().TraceID().String(); got != want {
			t.Errorf("line %d: trace_id = %v, want %v", i, got, want)
		}
		if got := line[KeySpanID]; got != wantSpans[i] {
			t.Errorf("line %d: span_id = %v, want %v", i, got, wantSpans[i])
		}
		if got := line[KeyRequestID]; got != "req-spans" {
			t.Errorf("line %d: request_id = %v, want req-spans", i, got)
		}
	}
}

func TestHandlerGroupPlacement(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	ctx := withSpan(WithRequestID(context.Background(), "req-g"), testTraceID, testSpanID)
	logger.With("root", 1).
		WithGroup("g").With("a", 2).
		WithGroup("h").With("b", 3).
		InfoContext(ctx, "grouped", "c", 4)
	line := buf.only(t)

	for k, want := range map[string]any{
		KeyRequestID: "req-g", KeyTraceID: testTraceHex, KeySpanID: testSpanHex, "root": float64(1),
	} {
		if got := line[k]; got != want {
			t.Errorf("root %s = %v, want %v", k, got, want)
		}
	}
	want := map[string]any{"a": float64(2), "h": map[string]any{"b": float64(3), "c": float64(4)}}
	if !reflect.DeepEqual(line["g"], want) {
		t.Errorf("g = %v, want %v", line["g"], want)
	}
	for _, k := range []string{"a", "b", "c"} {
		if _, ok := line[k]; ok {
			t.Errorf("%s leaked to the root", k)
		}
	}
}

func TestHandlerEmptyGroupsDropped(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	ctx := WithRequestID(context.Background(), "req-e")
	logger.WithGroup("g").With("a", 1).WithGroup("h").InfoContext(ctx, "msg")
	line := buf.only(t)
	if want := map[string]any{"a": float64(1)}; !reflect.DeepEqual(line["g"], want) {
		t.Errorf("g = %v, want %v", line["g"], want)
	}
	if line[KeyRequestID] != "req-e" {
		t.Errorf("request_id = %v", line[KeyRequestID])
	}

	buf2 := &syncBuffer{}
	slog.New(NewHandler(slog.NewJSONHandler(buf2, nil), nil)).WithGroup("empty").InfoContext(ctx, "msg")
	line = buf2.only(t)
	if _, ok := line["empty"]; ok {
		t.Errorf("empty group logged: %v", line)
	}
}

func TestHandlerWithGroupEmptyNameAndNoAttrs(t *testing.T) {
	t.Parallel()
	h := NewHandler(slog.NewJSONHandler(io.Discard, nil), nil)
	if got := h.WithGroup(""); got != h {
		t.Error("WithGroup(\"\") did not return the receiver")
	}
	if got := h.WithAttrs(nil); got != h {
		t.Error("WithAttrs(nil) did not return the receiver")
	}
}

func TestHandlerWithAttrsDoesNotShareState(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	base := logger.WithGroup("g").With("a", 1)
	l1 := base.With("b", 2)
	l2 := base.With("c", 3)
	l1.Info("one")
	l2.Info("two")
	lines := buf.lines(t)
	if len(lines) != 2 {
		t.Fatalf("got %d lines", len(lines))
	}
	if want := map[string]any{"a": float64(1), "b": float64(2)}; !reflect.DeepEqual(lines[0]["g"], want) {
		t.Errorf("first g = %v, want %v", lines[0]["g"], want)
	}
	if want := map[string]any{"a": float64(1), "c": float64(3)}; !reflect.DeepEqual(lines[1]["g"], want) {
		t.Errorf("second g = %v, want %v", lines[1]["g"], want)
	}
}

func TestHandlerSlogContract(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	h := NewHandler(slog.NewJSONHandler(buf, nil), nil)
	err := slogtest.TestHandler(h, func() []map[string]any { return buf.lines(t) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestHandlerSlogContractWithContext(t *testing.T) {
	t.Parallel()
	// The context attributes must not disturb the contract either: run the
	// suite with them present and remove them before the checks.
	buf := &syncBuffer{}
	h := &ctxHandler{
		Handler: NewHandler(slog.NewJSONHandler(buf, nil), nil),
		ctx:     withSpan(WithRequestID(context.Background(), "req-c"), testTraceID, testSpanID),
	}
	err := slogtest.TestHandler(h, func() []map[string]any {
		var out []map[string]any
		for _, l := range buf.lines(t) {
			if l[KeyRequestID] != "req-c" || l[KeyTraceID] != testTraceHex || l[KeySpanID] != testSpanHex {
				t.Errorf("context attributes missing from the root: %v", l)
			}
			delete(l, KeyRequestID)
			delete(l, KeyTraceID)
			delete(l, KeySpanID)
			out = append(out, l)
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ctxHandler replaces each record's context with ctx.
type ctxHandler struct {
	slog.Handler
	ctx context.Context
}

func (h *ctxHandler) Handle(_ context.Context, r slog.Record) error {
	return h.Handler.Handle(h.ctx, r)
}
func (h *ctxHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &ctxHandler{h.Handler.WithAttrs(as), h.ctx}
}
func (h *ctxHandler) WithGroup(name string) slog.Handler {
	return &ctxHandler{h.Handler.WithGroup(name), h.ctx}
}

func TestHandlerEnabledDelegates(t *testing.T) {
	t.Parallel()
	lv := &slog.LevelVar{}
	lv.Set(slog.LevelWarn)
	h := NewHandler(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: lv}), nil)
	ctx := context.Background()
	if h.Enabled(ctx, slog.LevelInfo) {
		t.Error("Info enabled at level Warn")
	}
	if !h.Enabled(ctx, slog.LevelWarn) {
		t.Error("Warn disabled at level Warn")
	}
	lv.Set(slog.LevelDebug)
	if !h.WithGroup("g").WithAttrs([]slog.Attr{slog.Int("a", 1)}).Enabled(ctx, slog.LevelDebug) {
		t.Error("derived handler does not follow the inner level")
	}
}

func TestHandlerExtractors(t *testing.T) {
	t.Parallel()
	type tenantKey struct{}
	logger, buf := newTestLogger(&HandlerOptions{Extractors: []Extractor{
		func(ctx context.Context) slog.Attr {
			if v, ok := ctx.Value(tenantKey{}).(string); ok {
				return slog.String("tenant", v)
			}
			return slog.Attr{}
		},
		nil, // ignored
		func(context.Context) slog.Attr { return slog.String("session_token", "s3cr3t") },
		func(context.Context) slog.Attr { return slog.Attr{} },
	}})
	ctx := context.WithValue(WithRequestID(context.Background(), "req-x"), tenantKey{}, "acme")
	logger.WithGroup("g").InfoContext(ctx, "msg", "a", 1)
	line := buf.only(t)
	if line["tenant"] != "acme" {
		t.Errorf("tenant = %v, want acme at the root", line["tenant"])
	}
	if line["session_token"] != Redacted {
		t.Errorf("session_token = %v, want %s", line["session_token"], Redacted)
	}
	if _, ok := line[""]; ok {
		t.Errorf("empty extractor attribute logged: %v", line)
	}
	if strings.Contains(buf.String(), "s3cr3t") {
		t.Errorf("secret from extractor logged: %s", buf.String())
	}
}

func TestHandlerNilArguments(t *testing.T) {
	t.Parallel()
	h := NewHandler(nil, nil)
	if h == nil {
		t.Fatal("NewHandler(nil, nil) returned nil")
	}
	if !h.Enabled(context.Background(), slog.LevelInfo) || h.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("nil inner handler is not at level Info")
	}
	// A nil context must not panic.
	logger, buf := newTestLogger(nil)
	var nilCtx context.Context
	if err := logger.Handler().Handle(nilCtx, slog.NewRecord(time.Now(), slog.LevelInfo, "nil ctx", 0)); err != nil {
		t.Fatal(err)
	}
	if got := buf.only(t)["msg"]; got != "nil ctx" {
		t.Errorf("msg = %v", got)
	}
}

func TestHandlerReturnsInnerError(t *testing.T) {
	t.Parallel()
	want := errors.New("disk full")
	h := NewHandler(errHandler{want}, nil)
	if err := h.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)); !errors.Is(err, want) {
		t.Errorf("Handle error = %v, want %v", err, want)
	}
}

type errHandler struct{ err error }

func (errHandler) Enabled(context.Context, slog.Level) bool    { return true }
func (h errHandler) Handle(context.Context, slog.Record) error { return h.err }
func (h errHandler) WithAttrs([]slog.Attr) slog.Handler        { return h }
func (h errHandler) WithGroup(string) slog.Handler             { return h }

// recordingHandler keeps the records it is given.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (*recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func TestHandlerDoesNotModifyCallersRecord(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 3, 5, 6, 8, 10} {
		rec := &recordingHandler{}
		h := NewHandler(rec, nil)
		ctx := withSpan(WithRequestID(context.Background(), "req-r"), testTraceID, testSpanID)

		r := slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)
		for i := range n {
			r.AddAttrs(slog.Int("k"+string(rune('a'+i)), i))
		}
		// Give the overflow slice spare capacity shared with r.
		shared := r
		for range 2 {
			if err := h.Handle(ctx, shared); err != nil {
				t.Fatal(err)
			}
		}
		if got := r.NumAttrs(); got != n {
			t.Errorf("n=%d: caller's record has %d attributes after Handle", n, got)
		}
		r.AddAttrs(slog.String("after", "x"))
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "!BUG" {
				t.Errorf("n=%d: Handle wrote into the caller's record", n)
			}
			return true
		})
		for _, got := range rec.records {
			if got.NumAttrs() != n+3 {
				t.Errorf("n=%d: inner record has %d attributes, want %d", n, got.NumAttrs(), n+3)
			}
		}
	}
}

func TestHandlerConcurrentUse(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	shared := WithRequestID(context.Background(), "shared")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				// All goroutines share one request and alternate spans,
				// racing on the request's span cache.
				sid := testSpanID
				sid[7] = byte(g)
				ctx := withSpan(shared, testTraceID, sid)
				logger.With("g", g).WithGroup("grp").InfoContext(ctx, "line", "i", i, "password", "hunter2")
			}
		})
	}
	wg.Wait()
	lines := buf.lines(t)
	if len(lines) != 8*50 {
		t.Fatalf("got %d lines, want %d", len(lines), 8*50)
	}
	for _, l := range lines {
		g := int(l["g"].(float64))
		sid := testSpanID
		sid[7] = byte(g)
		if l[KeySpanID] != sid.String() || l[KeyRequestID] != "shared" {
			t.Fatalf("line from goroutine %d has span_id %v, request_id %v", g, l[KeySpanID], l[KeyRequestID])
		}
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Error("password logged")
	}
}

// A context with a span but no request ID (a job traced without Middleware)
// gets its IDs hex-encoded once per span, not once per line.
func TestSpanOnlyContextEncodesIDsOnce(t *testing.T) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	var buf bytes.Buffer
	logger := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), nil))
	logger.InfoContext(ctx, "first")
	if !strings.Contains(buf.String(), `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"`) {
		t.Fatalf("line = %s, want the trace and span IDs", buf.String())
	}
	h := logger.Handler().(*handler)
	cached := h.spanOnly.span.Load()
	if cached == nil {
		t.Fatal("the span's attributes were not cached")
	}
	logger.InfoContext(ctx, "second")
	if h.spanOnly.span.Load() != cached {
		t.Error("a second line under the same span encoded its IDs again")
	}
	if got := strings.Count(buf.String(), `"span_id":"00f067aa0ba902b7"`); got != 2 {
		t.Errorf("%d lines carry the span ID, want 2: %s", got, buf.String())
	}
}

// durationValuer resolves to a duration.
type durationValuer struct{}

func (durationValuer) LogValue() slog.Value { return slog.DurationValue(1500 * time.Millisecond) }

// Every duration a logx handler writes reads as a Go duration string, wherever
// it sits: the lines of other packages (retry, health) logged through it too.
func TestHandlerWritesDurationsAsStrings(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	logger.With("timeout", 2*time.Second).Info("m", "drain_delay", 5*time.Second,
		slog.Group("g", slog.Duration("wait", time.Millisecond)), "valuer", durationValuer{})
	logger.WithGroup("h").With("a", time.Minute).Info("m", "b", 90*time.Second)
	lines := buf.lines(t)
	want := []map[string]any{
		{"timeout": "2s", "drain_delay": "5s", "g": map[string]any{"wait": "1ms"}, "valuer": "1.5s"},
		{"h": map[string]any{"a": "1m0s", "b": "1m30s"}},
	}
	for i, w := range want {
		for k, v := range w {
			if got := lines[i][k]; !reflect.DeepEqual(got, v) {
				t.Errorf("line %d: %s = %#v, want %#v", i, k, got, v)
			}
		}
	}
}

// A record that carries its own request_id at the root keeps it, and the
// handler adds no second one.
func TestHandlerKeepsTheRecordsRequestID(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	ctx := withSpan(WithRequestID(context.Background(), "ctx-id"), testTraceID, testSpanID)
	logger.InfoContext(ctx, "m", KeyRequestID, "own-id")
	if n := strings.Count(buf.String(), `"`+KeyRequestID+`"`); n != 1 {
		t.Fatalf("request_id written %d times: %s", n, buf.String())
	}
	if line := buf.only(t); line[KeyRequestID] != "own-id" || line[KeyTraceID] != testTraceHex {
		t.Errorf("line %v, want the record's request_id and the span's trace_id", line)
	}
}
