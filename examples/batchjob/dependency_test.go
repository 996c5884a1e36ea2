package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// call posts body to the stand-in and returns the status and Retry-After.
func call(t *testing.T, url, body string) (status int, retryAfter string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

func startTestStandIn(t *testing.T, failRate float64, retryAfter time.Duration) string {
	t.Helper()
	url, stop, err := startStandIn(failRate, retryAfter)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		stop()
	})
	return url
}

// TestStandInFailsEachRecordOnceOrTwice checks that with a fail rate of 1
// every record fails once or twice, with Retry-After, then succeeds.
func TestStandInFailsEachRecordOnceOrTwice(t *testing.T) {
	url := startTestStandIn(t, 1, 1500*time.Millisecond)
	twice := 0
	for i := range 20 {
		body := fmt.Sprintf(`{"id":"r-%d","amount":1}`, i)
		status, ra := call(t, url, body)
		if (status != http.StatusServiceUnavailable && status != http.StatusTooManyRequests) || ra != "2" {
			t.Errorf("record %d, call 1: status %d, Retry-After %q; want 503 or 429 with Retry-After 2", i, status, ra)
		}
		status, _ = call(t, url, body)
		if status != http.StatusOK {
			twice++
			status, _ = call(t, url, body)
		}
		if status != http.StatusOK {
			t.Errorf("record %d: status %d after 3 calls, want 200", i, status)
		}
	}
	if twice == 0 || twice == 20 {
		t.Errorf("%d of 20 records failed twice, want some but not all", twice)
	}
}

func TestStandInIsDeterministic(t *testing.T) {
	outcomes := func() (seq string, failed int) {
		url := startTestStandIn(t, 0.3, 0)
		var b strings.Builder
		for i := range 200 {
			status, _ := call(t, url, fmt.Sprintf(`{"id":"r-%05d","amount":1}`, i))
			fmt.Fprintf(&b, "%d ", status)
			if status != http.StatusOK {
				failed++
			}
		}
		return b.String(), failed
	}
	a, failed := outcomes()
	if b, _ := outcomes(); a != b {
		t.Error("two stand-ins failed different calls for the same records")
	}
	if failed < 30 || failed > 90 {
		t.Errorf("%d of 200 first calls failed with a fail rate of 0.3, want about 60", failed)
	}
}

func TestStandInRejectsInvalidRecords(t *testing.T) {
	url := startTestStandIn(t, 1, time.Second)
	for _, body := range []string{`nope`, `{"amount":1}`, `{"id":"x"}`, `{"id":"x","amount":-1}`} {
		if status, ra := call(t, url, body); status != http.StatusBadRequest || ra != "" {
			t.Errorf("%s: status %d, Retry-After %q; want 400 without Retry-After, before any planned failure", body, status, ra)
		}
	}
}
