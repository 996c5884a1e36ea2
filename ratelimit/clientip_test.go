package ratelimit_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/hardenkit/harden/ratelimit"
)

var trusted = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}

func TestClientIP(t *testing.T) {
	for _, tc := range []struct {
		name, remote, xff, fwd, want string
	}{
		{"direct", "203.0.113.9:5555", "", "", "203.0.113.9"},
		{"spoofed from untrusted peer", "203.0.113.9:5555", "198.51.100.1", "for=198.51.100.2", "203.0.113.9"},
		{"trusted proxy", "10.0.0.1:80", "198.51.100.1", "", "198.51.100.1"},
		{"client spoofs, proxy appends", "10.0.0.1:80", "1.1.1.1, 198.51.100.1", "", "198.51.100.1"},
		{"two trusted hops", "10.0.0.1:80", "198.51.100.1, 10.0.0.2", "", "198.51.100.1"},
		{"all trusted", "10.0.0.1:80", "10.0.0.3, 10.0.0.2", "", "10.0.0.3"},
		{"unreadable hop", "10.0.0.1:80", "198.51.100.1, garbage", "", "10.0.0.1"},
		{"forwarded wins", "10.0.0.1:80", "198.51.100.1", `for="[2001:db8::1]:4711";proto=https, for=10.0.0.2`, "2001:db8::1"},
		{"forwarded unknown", "10.0.0.1:80", "", "for=unknown", "10.0.0.1"},
		{"forwarded case", "10.0.0.1:80", "", "Proto=http;For=198.51.100.7", "198.51.100.7"},
		{"mapped peer", "[::ffff:203.0.113.9]:1", "", "", "203.0.113.9"},
		{"ipv6 trusted proxy", "[fd00::1]:1", "2001:db8::5", "", "2001:db8::5"},
		{"no port", "203.0.113.9", "", "", "203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.fwd != "" {
				r.Header.Set("Forwarded", tc.fwd)
			}
			got, err := ratelimit.ClientIP(r, trusted)
			if err != nil || got != netip.MustParseAddr(tc.want) {
				t.Errorf("ClientIP = %v, %v; want %s", got, err, tc.want)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "@"
	if _, err := ratelimit.ClientIP(r, trusted); err == nil {
		t.Error("ClientIP of a Unix socket peer: no error")
	}
}
