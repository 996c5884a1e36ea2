package retryafter

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		in    string
		max   time.Duration
		want  time.Duration
		wantK bool
	}{
		{"empty", "", 0, 0, false},
		{"blank", "   ", 0, 0, false},
		{"seconds", "120", 0, 120 * time.Second, true},
		{"seconds with spaces", " 7 ", 0, 7 * time.Second, true},
		{"zero", "0", 0, 0, true},
		{"clamped seconds", "86400", time.Hour, time.Hour, true},
		{"overflowing seconds", "99999999999999999999999", time.Minute, time.Minute, true},
		{"overflowing seconds unbounded", "9223372036854775807", 0, 1<<63 - 1, true},
		{"negative", "-5", 0, 0, false},
		{"fraction", "1.5", 0, 0, false},
		{"garbage", "soon", 0, 0, false},
		{"http date", "Sun, 22 Nov 2026 10:00:30 GMT", 0, 30 * time.Second, true},
		{"rfc850 date", "Sunday, 22-Nov-26 10:01:00 GMT", 0, time.Minute, true},
		{"asctime date", "Sun Nov 22 10:00:05 2026", 0, 5 * time.Second, true},
		{"date in the past", "Sun, 22 Nov 2026 09:00:00 GMT", 0, 0, true},
		{"clamped date", "Mon, 23 Nov 2026 10:00:00 GMT", time.Hour, time.Hour, true},
		{"malformed date", "Sun, 32 Nov 2026 10:00:00 GMT", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.in, now, tt.max)
			if got != tt.want || ok != tt.wantK {
				t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantK)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "1", "Sun, 22 Nov 2026 10:00:30 GMT", "x", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := Parse(s, now, time.Hour)
		if d < 0 || d > time.Hour {
			t.Fatalf("Parse(%q) = %v, outside [0, 1h]", s, d)
		}
		if !ok && d != 0 {
			t.Fatalf("Parse(%q) = %v, false; want 0 when not ok", s, d)
		}
	})
}

func TestRetryableStatus(t *testing.T) {
	want := map[int]bool{408: true, 429: true, 502: true, 503: true, 504: true}
	for status := 100; status < 600; status++ {
		if got := RetryableStatus(status); got != want[status] {
			t.Errorf("RetryableStatus(%d) = %v, want %v", status, got, want[status])
		}
	}
}
