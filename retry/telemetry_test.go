package retry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/hardenkit/harden/result"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// attemptCounts collects the retry.attempts counter by outcome.
func attemptCounts(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != "github.com/hardenkit/harden/retry" {
			continue
		}
		for _, m := range sm.Metrics {
			if m.Name != "retry.attempts" {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok || !sum.IsMonotonic {
				t.Fatalf("%s is %T, want a monotonic int64 sum", m.Name, m.Data)
			}
			for _, dp := range sum.DataPoints {
				v, _ := dp.Attributes.Value("retry.outcome")
				got[v.AsString()] += dp.Value
			}
		}
	}
	return got
}

func TestMetricAttemptsByOutcome(t *testing.T) {
	synctest.Test(t, testMetricAttemptsByOutcome)
}

func testMetricAttemptsByOutcome(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	p := quietPolicy()
	p.MeterProvider = mp
	p.MaxAttempts = 3
	ctx := context.Background()
	boom := result.Unavailable("", 0)

	op, _ := failing()
	_ = Do(ctx, p, op) // success
	op, _ = failing(boom)
	_ = Do(ctx, p, op) // retry, success
	op, _ = failing(boom, boom, boom)
	_ = Do(ctx, p, op) // retry, retry, exhausted
	op, _ = failing(result.NotFound("x", "1"))
	_ = Do(ctx, p, op) // permanent

	budget := p
	budget.Budget = NewBudget(&BudgetOptions{Burst: 1, Ratio: -1, MinPerSecond: -1})
	budget.Budget.allowRetry()
	op, _ = failing(boom)
	_ = Do(ctx, budget, op) // budget

	deadline, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	op, _ = failing(result.RateLimited(time.Hour))
	hinted := p
	hinted.MaxRetryAfter = 2 * time.Hour
	_ = Do(deadline, hinted, op) // context

	// The context ends during the wait: the attempt before it is counted
	// once, as a give-up, not as a retry that never happened.
	canceled, cancelWait := context.WithCancel(ctx)
	waiting := p
	waiting.InitialDelay, waiting.MaxDelay = time.Hour, time.Hour
	waiting.OnRetry = func(context.Context, Attempt) { cancelWait() }
	op, _ = failing(boom)
	_ = Do(canceled, waiting, op) // context

	want := map[string]int64{"success": 2, "retry": 3, "exhausted": 1, "permanent": 1, "budget": 1, "context": 2}
	got := attemptCounts(t, reader)
	if len(got) != len(want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("retry.attempts{outcome=%s} = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

// globalReader installs, once per test binary, an SDK as the global meter
// provider: OpenTelemetry hands the global provider's instruments to the
// first SDK installed only, as a program installs its SDK once.
var globalReader = sync.OnceValue(func() *sdkmetric.ManualReader {
	reader := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	return reader
})

func TestMetricGlobalProvider(t *testing.T) {
	reader := globalReader()
	before := attemptCounts(t, reader)
	synctest.Test(t, func(t *testing.T) {
		op, _ := failing(errors.New("boom"))
		if err := Do(context.Background(), quietPolicy(), op); err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
		resp, err := Transport(funcTransport(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusOK, Request: r}, nil
		}), quietPolicy()).RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("RoundTrip = %v, %v", resp, err)
		}
	})
	if got := attemptCounts(t, reader); got["success"]-before["success"] != 2 || got["retry"]-before["retry"] != 1 {
		t.Errorf("global provider saw %v after %v, want 2 more successes and 1 more retry", got, before)
	}
}

// Any provider works, even one whose type cannot be a map key, and each
// provider counts only its own attempts.
func TestMetricProviders(t *testing.T) {
	a, b := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
	mpA, mpB := sdkmetric.NewMeterProvider(sdkmetric.WithReader(a)), sdkmetric.NewMeterProvider(sdkmetric.WithReader(b))
	defer mpA.Shutdown(context.Background())
	defer mpB.Shutdown(context.Background())
	ok := func(context.Context) error { return nil }
	_ = Do(context.Background(), Policy{MeterProvider: mpA}, ok)
	_ = Do(context.Background(), Policy{MeterProvider: uncomparableProvider{MeterProvider: mpA}}, ok)
	_ = Do(context.Background(), Policy{MeterProvider: mpB}, ok)
	if got := attemptCounts(t, a); got["success"] != 2 {
		t.Errorf("provider A saw %v, want 2 successes", got)
	}
	if got := attemptCounts(t, b); got["success"] != 1 {
		t.Errorf("provider B saw %v, want 1 success", got)
	}
}

type uncomparableProvider struct {
	metric.MeterProvider
	_ []int
}

func TestSpanEventPerRetry(t *testing.T) {
	synctest.Test(t, testSpanEventPerRetry)
}

func testSpanEventPerRetry(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	defer tp.Shutdown(context.Background())
	ctx, span := tp.Tracer("test").Start(context.Background(), "load")
	p := quietPolicy()
	p.Schedule = func() backoff.BackOff { return backoff.NewConstantBackOff(1500 * time.Millisecond) }
	op, _ := failing(errors.New("reset"), errors.New("refused"))
	if err := Do(ctx, p, op); err != nil {
		t.Fatal(err)
	}
	span.End()
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	events := spans[0].Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	for i, ev := range events {
		attrs := attribute.NewSet(ev.Attributes...)
		n, _ := attrs.Value("retry.attempt")
		d, _ := attrs.Value("retry.delay_ms")
		msg, _ := attrs.Value("error.message")
		wantMsg := []string{"reset", "refused"}[i]
		if ev.Name != "retry" || n.AsInt64() != int64(i+1) || d.AsInt64() != 1500 || msg.AsString() != wantMsg {
			t.Errorf("event %d = %s %v, want retry attempt=%d delay_ms=1500 error.message=%s", i, ev.Name, ev.Attributes, i+1, wantMsg)
		}
	}
}

type ctxKey struct{}

// ctxHandler records the context value each log record came with.
type ctxHandler struct {
	slog.Handler
	seen *[]any
}

func (h ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	*h.seen = append(*h.seen, ctx.Value(ctxKey{}))
	return h.Handler.Handle(ctx, r)
}

func TestLogEachRetry(t *testing.T) {
	synctest.Test(t, testLogEachRetry)
}

func testLogEachRetry(t *testing.T) {
	var buf bytes.Buffer
	var seen []any
	logger := slog.New(ctxHandler{Handler: slog.NewJSONHandler(&buf, nil), seen: &seen})
	p := Policy{Logger: logger, MaxAttempts: 5,
		Schedule: func() backoff.BackOff { return backoff.NewConstantBackOff(time.Second) }}
	ctx := context.WithValue(context.Background(), ctxKey{}, "req-1")
	op, _ := failing(result.Unavailable("maintenance", 0), errors.New("reset"))
	if err := Do(ctx, p, op); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), buf.String())
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["level"] != "WARN" || rec["msg"] != "retry: attempt failed, retrying" ||
			rec["attempt"] != float64(i+1) || rec["max_attempts"] != float64(5) ||
			rec["delay"] != float64(time.Second) || rec["elapsed"] != float64(time.Duration(i)*time.Second) {
			t.Errorf("log line %d = %s", i, line)
		}
	}
	if !strings.Contains(lines[0], `"code":"UNAVAILABLE"`) || !strings.Contains(lines[1], `"error":"reset"`) {
		t.Errorf("the errors are not logged as themselves:\n%s", buf.String())
	}
	if len(seen) != 2 || seen[0] != "req-1" || seen[1] != "req-1" {
		t.Errorf("log records came with context values %v, want the caller's", seen)
	}

	// An unlimited policy does not log a maximum.
	buf.Reset()
	p.MaxAttempts = -1
	op, _ = failing(errors.New("x"))
	_ = Do(ctx, p, op)
	if strings.Contains(buf.String(), "max_attempts") || !strings.Contains(buf.String(), `"attempt":1`) {
		t.Errorf("unlimited policy logged %s", buf.String())
	}
}

func TestLogDefaultLogger(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	synctest.Test(t, func(t *testing.T) {
		op, _ := failing(errors.New("boom"))
		if err := Do(context.Background(), Policy{}, op); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.Contains(buf.String(), "retry: attempt failed, retrying") || !strings.Contains(buf.String(), "error=boom") {
		t.Errorf("slog.Default() got %q", buf.String())
	}
}
