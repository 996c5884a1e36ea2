package retry

import (
	"math"
	"testing"
	"time"
)

func TestFullJitterCeilings(t *testing.T) {
	j := newFullJitter(100*time.Millisecond, time.Second, 2)
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if j.ceiling != w*time.Millisecond {
			t.Errorf("ceiling %d = %v, want %v", i+1, j.ceiling, w*time.Millisecond)
		}
		if d := j.NextBackOff(); d < 0 || d >= w*time.Millisecond {
			t.Errorf("delay %d = %v, want within [0, %v)", i+1, d, w*time.Millisecond)
		}
	}
	j.Reset()
	if j.ceiling != 100*time.Millisecond {
		t.Errorf("after Reset: ceiling %v, want 100ms", j.ceiling)
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
	j := newFullJitter(time.Duration(math.MaxInt64/3), time.Duration(math.MaxInt64), 2)
	for i := range 4 {
		if d := j.NextBackOff(); d < 0 {
			t.Errorf("delay %d = %v, want a non-negative delay without overflow", i+1, d)
		}
	}
	if j.ceiling != math.MaxInt64 {
		t.Errorf("ceiling %v, want the cap", j.ceiling)
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
		if j.initial != tt.initial || j.ceiling != tt.initial || j.max != tt.maxWait || j.multiplier != tt.mult {
			t.Errorf("%+v: schedule %+v, want initial %v, max %v, ×%v", tt.p, *j, tt.initial, tt.maxWait, tt.mult)
		}
	}
}
