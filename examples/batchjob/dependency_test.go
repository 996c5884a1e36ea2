package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// call posts body to the stand-in and returns the status and Retry-After.
func call(t *testing.T, s *standIn, body string) (status int, retryAfter string) {
	t.Helper()
	resp, err := http.Post(s.URL(), "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func startTestStandIn(t *testing.T, cfg standInConfig) *standIn {
	t.Helper()
	s, err := startStandIn(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		s.Close()
	})
	return s
}

func TestStandInFailsEachRecordAtMostFailMaxTimes(t *testing.T) {
	s := startTestStandIn(t, standInConfig{FailRate: 1, FailMax: 2, RetryAfter: 1500e6})
	for i := range 3 {
		body := fmt.Sprintf(`{"id":"r-%d","amount":1}`, i)
		for n := 1; n <= 2; n++ {
			status, ra := call(t, s, body)
			if (status != http.StatusServiceUnavailable && status != http.StatusTooManyRequests) || ra != "2" {
				t.Errorf("record %d, call %d: status %d, Retry-After %q; want 503 or 429 with Retry-After 2", i, n, status, ra)
			}
		}
		if status, _ := call(t, s, body); status != http.StatusOK {
			t.Errorf("record %d, call 3: status %d, want 200 after 2 failures", i, status)
		}
	}
	if calls, failed := s.Stats(); calls != 9 || failed != 6 {
		t.Errorf("stats: %d calls, %d failed; want 9, 6", calls, failed)
	}
}

func TestStandInIsDeterministic(t *testing.T) {
	outcomes := func() (seq string, firstFailures int) {
		s := startTestStandIn(t, standInConfig{FailRate: 0.3, FailMax: 3})
		var b strings.Builder
		for i := range 200 {
			for n := 0; ; n++ {
				status, _ := call(t, s, fmt.Sprintf(`{"id":"r-%05d","amount":1}`, i))
				fmt.Fprintf(&b, "%d ", status)
				if n == 0 && status != http.StatusOK {
					firstFailures++
				}
				if status == http.StatusOK {
					break
				}
				if n == 3 {
					t.Fatalf("record %d failed more than FailMax times", i)
				}
			}
		}
		return b.String(), firstFailures
	}
	a, fails := outcomes()
	if b, _ := outcomes(); a != b {
		t.Error("two stand-ins failed different calls for the same records")
	}
	if fails < 30 || fails > 90 {
		t.Errorf("%d of 200 first calls failed with FailRate 0.3, want about 60", fails)
	}
}

func TestStandInRejectsInvalidRecords(t *testing.T) {
	s := startTestStandIn(t, standInConfig{FailRate: 1, FailMax: 10})
	for _, body := range []string{`nope`, `{"amount":1}`, `{"id":"x"}`, `{"id":"x","amount":-1}`} {
		if status, ra := call(t, s, body); status != http.StatusBadRequest || ra != "" {
			t.Errorf("%s: status %d, Retry-After %q; want 400 without Retry-After, before any planned failure", body, status, ra)
		}
	}
}
