package logx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes every JSON line written to b.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader([]byte(b.String())))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// only returns the single JSON line written to b.
func (b *syncBuffer) only(t *testing.T) map[string]any {
	t.Helper()
	ls := b.lines(t)
	if len(ls) != 1 {
		t.Fatalf("got %d log lines, want 1:\n%s", len(ls), b.String())
	}
	return ls[0]
}

// newTestLogger returns a logger over NewHandler over a JSON handler at
// level Debug, and the buffer it writes to.
func newTestLogger(opts *HandlerOptions) (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	inner := slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(NewHandler(inner, opts)), buf
}

var (
	testTraceID = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	testSpanID  = trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
)

const (
	testTraceHex    = "4bf92f3577b34da6a3ce929d0e0e4736"
	testSpanHex     = "00f067aa0ba902b7"
	testTraceparent = "00-" + testTraceHex + "-" + testSpanHex + "-01"
)

// withSpan returns ctx carrying a valid remote span context.
func withSpan(ctx context.Context, tid trace.TraceID, sid trace.SpanID) context.Context {
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true,
	}))
}
