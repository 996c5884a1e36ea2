package health

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Instrument names, as exported to OpenTelemetry. The status gauge is
// recorded after every run: 1 while the check's status is pass (it follows
// FailureThreshold, as probes do), 0 otherwise.
const (
	meterName      = "github.com/hardenkit/harden/health"
	metricStatus   = "health.check.status"
	metricDuration = "health.check.duration"
)

type instruments struct {
	status     metric.Int64Gauge
	duration   metric.Float64Histogram
	resultPass metric.MeasurementOption
	resultFail metric.MeasurementOption
}

func newInstruments(mp metric.MeterProvider, logger *slog.Logger) instruments {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(meterName)
	in := instruments{
		resultPass: metric.WithAttributes(attribute.String("health.check.result", "pass")),
		resultFail: metric.WithAttributes(attribute.String("health.check.result", "fail")),
	}
	var err error
	in.status, err = m.Int64Gauge(metricStatus,
		metric.WithDescription("Status of a health check after its last run: 1 passing, 0 not passing."),
		metric.WithUnit("{status}"))
	if err != nil || in.status == nil {
		logger.WarnContext(context.Background(), "health: create metric", "metric", metricStatus, "error", err)
		in.status = noop.Int64Gauge{}
	}
	in.duration, err = m.Float64Histogram(metricDuration,
		metric.WithDescription("Duration of health check runs."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	if err != nil || in.duration == nil {
		logger.WarnContext(context.Background(), "health: create metric", "metric", metricDuration, "error", err)
		in.duration = noop.Float64Histogram{}
	}
	return in
}

// record notes one run of k, which left the check in status st.
func (in instruments) record(k *check, o outcome, st Status) {
	ctx := context.Background()
	var v int64
	if st == StatusPass {
		v = 1
	}
	res := in.resultFail
	if o.err == nil {
		res = in.resultPass
	}
	in.status.Record(ctx, v, k.attrs)
	if !o.skipped {
		in.duration.Record(ctx, o.dur.Seconds(), k.attrs, res)
	}
}
