package retry

import (
	"math"
	"testing"
	"time"
)

func TestFullJitterCeilings(t *testing.T) {
	j := newFullJitter(100*time.Millisecond, time.Second, 2)
	j.draw = func(n int64) int64 { return n - 1 } // always the ceiling
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := j.NextBackOff(); got != w*time.Millisecond {
			t.Errorf("delay %d = %v, want the ceiling %v", i+1, got, w*time.Millisecond)
		}
	}
	j.Reset()
	if got := j.NextBackOff(); got != 100*time.Millisecond {
		t.Errorf("after Reset: %v, want 100ms", got)
	}
	j.draw = func(int64) int64 { return 0 }
	if got := j.NextBackOff(); got != 0 {
		t.Errorf("lowest draw = %v, want 0", got)
	}
}

func TestFullJitterSpread(t *testing.T) {
	j := newFullJitter(time.Second, time.Second, 2)
	var sum time.Duration
	const n = 2000
	for range n {
		d := j.NextBackOff()
		if d < 0 || d > time.Second {
			t.Fatalf("delay %v outside [0, 1s]", d)
		}
		sum += d
	}
	// Uniform on [0, 1s]: the mean is 500ms, its standard error about 6.5ms.
	if mean := sum / n; mean < 400*time.Millisecond || mean > 600*time.Millisecond {
		t.Errorf("mean delay %v, want about 500ms", mean)
	}
}

func TestFullJitterHugeCap(t *testing.T) {
	j := newFullJitter(time.Duration(math.MaxInt64), time.Duration(math.MaxInt64), 2)
	var got int64
	j.draw = func(n int64) int64 { got = n; return n - 1 }
	if d := j.NextBackOff(); d < 0 || got != math.MaxInt64 {
		t.Errorf("delay %v drawn below %d, want a non-negative delay without overflow", d, got)
	}
}

func TestPolicyDefaultScheduleShape(t *testing.T) {
	tests := []struct {
		p                Policy
		initial, maxWait time.Duration
		mult             float64
	}{
		{Policy{}, DefaultInitialDelay, DefaultMaxDelay, DefaultMultiplier},
		{Policy{MaxDelay: 50 * time.Millisecond}, 50 * time.Millisecond, 50 * time.Millisecond, 2},
		{Policy{InitialDelay: time.Minute}, time.Minute, time.Minute, 2},
		{Policy{InitialDelay: time.Second, MaxDelay: time.Hour, Multiplier: 3}, time.Second, time.Hour, 3},
	}
	for _, tt := range tests {
		j, ok := tt.p.newSchedule().(*fullJitter)
		if !ok {
			t.Fatalf("%+v: schedule is not full jitter", tt.p)
		}
		if j.exp.InitialInterval != tt.initial || j.exp.MaxInterval != tt.maxWait || j.exp.Multiplier != tt.mult ||
			j.exp.MaxElapsedTime != 0 || j.exp.RandomizationFactor != 0 {
			t.Errorf("%+v: schedule %+v, want initial %v, max %v, ×%v, no elapsed limit", tt.p, j.exp, tt.initial, tt.maxWait, tt.mult)
		}
	}
}
