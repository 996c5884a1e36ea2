package statefile

import "testing"

func TestExitCode(t *testing.T) {
	cases := []struct {
		s    Status
		want int
	}{
		{StatusSucceeded, 0},
		{StatusFailed, 1},
		{StatusPartial, 3},
		{StatusAbandoned, 4},
		{StatusRunning, 1},
		{"", 1},
		{"something new", 1},
	}
	for _, tc := range cases {
		if got := ExitCode(tc.s); got != tc.want {
			t.Errorf("ExitCode(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}
