package retry

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the OpenTelemetry instrumentation scope of the package's
// meter.
const ScopeName = "github.com/hardenkit/harden/retry"

// MetricAttempts is the name of the counter of attempts. Each attempt adds 1
// with a retry.outcome attribute: "success", "retry" (it failed and another
// attempt follows), or the Reason the loop gave up after it ("exhausted",
// "permanent", "budget", "context").
const MetricAttempts = "retry.attempts"

// AttrOutcome is the attribute key of an attempt's outcome on MetricAttempts.
const AttrOutcome = "retry.outcome"

// outcome indexes the precomputed attribute sets of an attempt's outcome.
type outcome uint8

const (
	outcomeSuccess outcome = iota
	outcomeRetry
	outcomeExhausted
	outcomePermanent
	outcomeBudget
	outcomeContext
	numOutcomes
)

var outcomeNames = [numOutcomes]string{
	outcomeSuccess:   "success",
	outcomeRetry:     "retry",
	outcomeExhausted: string(ReasonExhausted),
	outcomePermanent: string(ReasonPermanent),
	outcomeBudget:    string(ReasonBudget),
	outcomeContext:   string(ReasonContext),
}

func outcomeOf(r Reason) outcome {
	switch r {
	case ReasonExhausted:
		return outcomeExhausted
	case ReasonPermanent:
		return outcomePermanent
	case ReasonBudget:
		return outcomeBudget
	}
	return outcomeContext
}

// instruments are the metric instruments of one MeterProvider, with the
// option slices for each outcome built once, so that recording an attempt
// allocates nothing.
type instruments struct {
	attempts metric.Int64Counter
	opts     [numOutcomes][]metric.AddOption
}

func (in *instruments) record(ctx context.Context, o outcome) {
	in.attempts.Add(ctx, 1, in.opts[o]...)
}

func newInstruments(mp metric.MeterProvider) *instruments {
	in := &instruments{}
	c, err := mp.Meter(ScopeName).Int64Counter(MetricAttempts,
		metric.WithUnit("{attempt}"),
		metric.WithDescription("Attempts made by retry loops, by outcome."))
	if err != nil {
		otel.Handle(err)
		c = noop.Int64Counter{}
	}
	in.attempts = c
	for o := range numOutcomes {
		set := attribute.NewSet(attribute.String(AttrOutcome, outcomeNames[o]))
		in.opts[o] = []metric.AddOption{metric.WithAttributeSet(set)}
	}
	return in
}

// instrumentCache memoises the instruments of each MeterProvider: creating
// instruments takes locks and allocates, far too slow for every call of Do.
// It is process-wide because a Policy is a value that cannot carry them,
// and it holds only what would be created again identically, so it changes
// no behaviour. The last provider used is checked first without a lock,
// which makes the common case of one provider cost an atomic load.
type instrumentCache struct {
	last atomic.Pointer[cacheEntry]
	mu   sync.Mutex
	m    map[metric.MeterProvider]*instruments
}

type cacheEntry struct {
	mp metric.MeterProvider
	in *instruments
}

// maxCachedProviders bounds the cache: a program uses one or two
// providers; a test suite may make many.
const maxCachedProviders = 64

var instCache instrumentCache

// instrumentsFor returns the instruments of mp, or of the global provider
// as it is now when mp is nil, so that installing an SDK later is seen.
func instrumentsFor(mp metric.MeterProvider) *instruments {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	// e.mp is always of a comparable type, so this comparison cannot panic.
	if e := instCache.last.Load(); e != nil && e.mp == mp {
		return e.in
	}
	return instCache.slow(mp)
}

func (c *instrumentCache) slow(mp metric.MeterProvider) *instruments {
	if !reflect.TypeOf(mp).Comparable() {
		// Cannot be a map key; the SDK deduplicates instruments by name,
		// so this is slow but correct.
		return newInstruments(mp)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	in, ok := c.m[mp]
	if !ok {
		if c.m == nil || len(c.m) >= maxCachedProviders {
			c.m = make(map[metric.MeterProvider]*instruments)
		}
		in = newInstruments(mp)
		c.m[mp] = in
	}
	c.last.Store(&cacheEntry{mp: mp, in: in})
	return in
}

// observeRetry reports a retry that is about to wait: to the Policy's
// OnRetry hook, its logger and the span in ctx.
func observeRetry(ctx context.Context, p *Policy, a Attempt, maxAttempts int) {
	if p.OnRetry != nil {
		p.OnRetry(ctx, a)
	}
	logger := p.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if logger.Enabled(ctx, slog.LevelWarn) {
		attrs := make([]slog.Attr, 0, 5)
		attrs = append(attrs, slog.Int("attempt", a.Number))
		if maxAttempts > 0 {
			attrs = append(attrs, slog.Int("max_attempts", maxAttempts))
		}
		attrs = append(attrs,
			slog.Duration("delay", a.Delay),
			slog.Duration("elapsed", a.Elapsed),
			slog.Any("error", a.Err))
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
