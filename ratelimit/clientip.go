package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client that sent r.
//
// It is the peer's address (r.RemoteAddr) unless the peer is in trusted: a
// trusted proxy names the client in the Forwarded header (RFC 7239), or
// failing that in X-Forwarded-For. ClientIP reads the addresses those
// headers list from the nearest hop backwards, skips the trusted ones, and
// returns the first that is not trusted (or the farthest one, if all are).
// It stops at an entry it cannot read ("unknown", an obfuscated name) and
// returns the hop that added it. A request from an untrusted peer cannot
// choose its address: its headers are ignored.
//
// IPv4-mapped IPv6 addresses are returned as IPv4. ClientIP fails only when
// r.RemoteAddr is not an address, as on a Unix socket.
func ClientIP(r *http.Request, trusted []netip.Prefix) (netip.Addr, error) {
	peer, err := parseAddr(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("ratelimit: client address: remote address %q is not an IP address", r.RemoteAddr)
	}
	if !contains(trusted, peer) {
		return peer, nil
	}
	var hops []string
	if fw := r.Header.Values("Forwarded"); len(fw) > 0 {
		for _, elem := range splitList(fw) {
			hops = append(hops, forwardedFor(elem))
		}
	} else {
		hops = splitList(r.Header.Values("X-Forwarded-For"))
	}
	client := peer
	for i := len(hops) - 1; i >= 0 && contains(trusted, client); i-- {
		a, err := parseAddr(hops[i])
		if err != nil {
			break
		}
		client = a
	}
	return client, nil
}

// splitList splits comma-separated header lines into their trimmed items.
func splitList(lines []string) []string {
	var items []string
	for _, line := range lines {
		for item := range strings.SplitSeq(line, ",") {
			items = append(items, strings.TrimSpace(item))
		}
	}
	return items
}

// forwardedFor returns the for= parameter of a Forwarded element, unquoted.
func forwardedFor(elem string) string {
	for pair := range strings.SplitSeq(elem, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(pair), "=")
		if strings.EqualFold(name, "for") {
			return strings.Trim(value, `"`)
		}
	}
	return ""
}

// parseAddr reads "1.2.3.4", "1.2.3.4:80", "::1", "[::1]" or "[::1]:80".
func parseAddr(s string) (netip.Addr, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), nil
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
