package health

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	c, _ := newTestChecker(t, &Options{MeterProvider: mp})
	mustAdd(t, c, Check{Name: "db", Critical: true, Func: sequence(nil, errors.New("down"))})
	mustAdd(t, c, Check{Name: "cache", Func: pass})
	var calls atomic.Int64
	mustAdd(t, c, Check{Name: "stuck", Timeout: 5 * time.Millisecond, Func: hang(t, &calls)})

	report(t, c, Readiness)
	gauges, _ := collect(t, reader)
	if gauges["db"] != 1 || gauges["cache"] != 1 {
		t.Errorf("status gauges = %v, want db 1, cache 1", gauges)
	}
	time.Sleep(DefaultCacheTTL)
	report(t, c, Readiness)
	gauges, hist := collect(t, reader)
	if gauges["db"] != 0 || gauges["cache"] != 1 || gauges["stuck"] != 0 {
		t.Errorf("status gauges = %v, want db 0, cache 1, stuck 0", gauges)
	}
	// The hung check ran once (timed out); the second probe found it still
	// running and recorded a failure without a duration.
	if hist["db/pass"] != 1 || hist["db/fail"] != 1 || hist["cache/pass"] != 2 || hist["stuck/fail"] != 1 {
		t.Errorf("duration counts = %v, want db/pass 1, db/fail 1, cache/pass 2, stuck/fail 1", hist)
	}
}

// collect returns the status gauge by check and the duration histogram's
// count by check/result.
func collect(t *testing.T, r sdkmetric.Reader) (map[string]int64, map[string]uint64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	gauges := map[string]int64{}
	hist := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != meterName {
			t.Errorf("scope = %q, want %q", sm.Scope.Name, meterName)
		}
		for _, m := range sm.Metrics {
			switch m.Name {
			case metricStatus:
				for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
					gauges[attr(dp.Attributes, "health.check.name")] = dp.Value
				}
			case metricDuration:
				if m.Unit != "s" {
					t.Errorf("duration unit = %q, want s", m.Unit)
				}
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					hist[attr(dp.Attributes, "health.check.name")+"/"+attr(dp.Attributes, "health.check.result")] = dp.Count
				}
			default:
				t.Errorf("unexpected metric %q", m.Name)
			}
		}
	}
	return gauges, hist
}

func attr(s attribute.Set, key string) string {
	v, _ := s.Value(attribute.Key(key))
	return v.String()
}
