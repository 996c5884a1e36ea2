package retry

import (
	"cmp"
	"context"
	"log/slog"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// attemptsCounter returns the retry.attempts counter of mp. The global
// provider's is made once: OpenTelemetry's global provider hands it on to
// the SDK the program installs later.
func attemptsCounter(mp metric.MeterProvider) metric.Int64Counter {
	if mp == nil {
		return globalAttempts()
	}
	return newAttemptsCounter(mp)
}

var globalAttempts = sync.OnceValue(func() metric.Int64Counter {
	return newAttemptsCounter(otel.GetMeterProvider())
})

func newAttemptsCounter(mp metric.MeterProvider) metric.Int64Counter {
	c, err := mp.Meter("github.com/hardenkit/harden/retry").Int64Counter("retry.attempts",
		metric.WithUnit("{attempt}"),
		metric.WithDescription("Attempts made by retry loops, by outcome."))
	if err != nil {
		otel.Handle(err)
		return noop.Int64Counter{}
	}
	return c
}

// The retry.outcome options of a healthy call's two outcomes, made once so
// that counting them allocates nothing.
var (
	outcomeSuccess = outcome("success")
	outcomeRetry   = outcome("retry")
)

func outcome(name string) []metric.AddOption {
	set := attribute.NewSet(attribute.String("retry.outcome", name))
	return []metric.AddOption{metric.WithAttributeSet(set)}
}

// observeRetry reports a retry that is about to wait: to the Policy's
// OnRetry hook, its logger and the span in ctx.
func observeRetry(ctx context.Context, p *Policy, a Attempt) {
	if p.OnRetry != nil {
		p.OnRetry(ctx, a)
	}
	if logger := cmp.Or(p.Logger, slog.Default()); logger.Enabled(ctx, slog.LevelWarn) {
		attrs := []slog.Attr{slog.Int("attempt", a.Number)}
		if p.MaxAttempts >= 0 {
			attrs = append(attrs, slog.Int("max_attempts", cmp.Or(p.MaxAttempts, DefaultMaxAttempts)))
		}
		attrs = append(attrs, slog.Duration("delay", a.Delay), slog.Duration("elapsed", a.Elapsed), slog.Any("error", a.Err))
		logger.LogAttrs(ctx, slog.LevelWarn, "retry: attempt failed, retrying", attrs...)
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("retry", trace.WithAttributes(
			attribute.Int("retry.attempt", a.Number),
			attribute.Int64("retry.delay_ms", a.Delay.Milliseconds()),
			attribute.String("error.message", a.Err.Error()),
		))
	}
}
