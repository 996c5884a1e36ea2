// Package retryafter parses the HTTP Retry-After header (RFC 9110 §10.2.3).
//
// It is shared by result, which turns an upstream's response into an error that
// carries the delay, and retry, whose HTTP transport honours the header.
package retryafter

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Parse reads a Retry-After value, which is either a number of seconds or an
// HTTP-date, relative to now. It reports false for an empty or malformed value
// and for a date that cannot be parsed; a date in the past yields 0 and true.
// The delay is clamped to max when max is positive, so a hostile or confused
// server cannot park a client for days.
func Parse(v string, now time.Time, max time.Duration) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			// Only digits but out of int64 range: as long as a delay can be.
			secs = 1<<63 - 1
		}
		if secs > int64(1<<63-1)/int64(time.Second) {
			d = 1<<63 - 1
		} else {
			d = time.Duration(secs) * time.Second
		}
	} else {
		t, err := http.ParseTime(v)
		if err != nil {
			return 0, false
		}
		d = t.Sub(now)
		if d < 0 {
			d = 0
		}
	}
	if max > 0 && d > max {
		d = max
	}
	return d, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// RetryableStatus reports whether an upstream answer with this HTTP status is
// worth another attempt: 408 Request Timeout, 429 Too Many Requests, 502 Bad
// Gateway, 503 Service Unavailable and 504 Gateway Timeout. Any other status
// would fail the same way again. result.FromResponse and retry.Transport both
// decide by it, so an error and a transport never disagree.
func RetryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
