package retry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// The performance goal: when the first attempt succeeds, Do and DoValue
// allocate nothing and add under 50ns to calling the operation directly.
// BenchmarkDirect is the baseline, measured in the same run.

//go:noinline
func work(context.Context) error { return nil }

//go:noinline
func workValue(context.Context) (int, error) { return 42, nil }

var sinkErr error
var sinkInt int

func BenchmarkDirect(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = work(ctx)
	}
}

func BenchmarkDirectValue(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sinkInt, sinkErr = workValue(ctx)
	}
}

var sinkTime time.Time

// BenchmarkTimeNow measures the one clock read Do makes on a first-attempt
// success, so that Error.Elapsed counts from the start of the first attempt.
// On some virtual machines it is most of Do's cost.
func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		sinkTime = time.Now()
	}
}

func BenchmarkDo(b *testing.B) {
	ctx := context.Background()
	var p Policy
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = Do(ctx, p, work)
	}
}

func BenchmarkDoValue(b *testing.B) {
	ctx := context.Background()
	var p Policy
	b.ReportAllocs()
	for b.Loop() {
		sinkInt, sinkErr = DoValue(ctx, p, workValue)
	}
}

// BenchmarkDoConfigured uses a policy with every field that matters on the
// success path set: a budget, a cancellable context and an explicit meter
// provider.
func BenchmarkDoConfigured(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := Policy{MaxAttempts: 5, Budget: NewBudget(nil), Logger: quiet, OnRetry: func(context.Context, Attempt) {}}
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = Do(ctx, p, work)
	}
}

// BenchmarkDoSDKMeter records attempts into an installed metrics SDK.
func BenchmarkDoSDKMeter(b *testing.B) {
	ctx := context.Background()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(ctx)
	p := Policy{MeterProvider: mp}
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = Do(ctx, p, work)
	}
}

func BenchmarkDoParallelBudget(b *testing.B) {
	ctx := context.Background()
	p := Policy{Budget: NewBudget(nil)}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = Do(ctx, p, work)
		}
	})
}

// BenchmarkBackoffRetry is backoff.Retry on the same operation, for
// comparison.
func BenchmarkBackoffRetry(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = backoff.Retry(func() error { return work(ctx) }, backoff.NewExponentialBackOff())
	}
}

// BenchmarkDoOneRetry measures the failure path: one failed attempt, a zero
// delay and a success.
func BenchmarkDoOneRetry(b *testing.B) {
	ctx := context.Background()
	boom := errors.New("boom")
	p := Policy{Logger: quiet, Schedule: func() backoff.BackOff { return &backoff.ZeroBackOff{} }}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		sinkErr = Do(ctx, p, func(context.Context) error {
			n++
			if n == 1 {
				return boom
			}
			return nil
		})
	}
}

func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	for _, bc := range []struct {
		name string
		rt   http.RoundTripper
	}{{"direct", base}, {"retry", Transport(base, Policy{})}} {
		b.Run(bc.name, func(b *testing.B) {
			c := &http.Client{Transport: bc.rt}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.Get(srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
