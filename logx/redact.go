package logx

import (
	"log/slog"
	"slices"
)

// DefaultRedactKeys returns the keys whose values logx redacts unless told
// otherwise: the usual names of passwords, secrets, tokens, keys, credentials
// and the HTTP headers that carry them. [HandlerOptions.RedactKeys] adds to
// this list. The returned slice is a fresh copy on every call.
//
// Keys are compared lower-cased with the separators '_', '-', '.' and ' '
// removed, whole or from a word boundary (after a separator, or at an
// upper-case letter) on: "password" covers "Password", "db_password" and
// "dbPassword" but not "dbpassword"; "api_key" covers "X-Api-Key". A group
// whose key matches is redacted whole.
func DefaultRedactKeys() []string {
	return []string{
		"password", "passwords", "passwd", "passphrase",
		"secret", "secrets", "client_secret",
		"token", "access_token", "refresh_token", "id_token", "jwt",
		"api_key", "access_key", "secret_key", "private_key",
		"authorization", "proxy_authorization",
		"cookie", "cookies", "set_cookie",
		"credential", "credentials",
	}
}

// matcher holds the denylist, normalised: ASCII letters lowered, the
// separators '_', '-', '.' and ' ' removed.
type matcher map[string]struct{}

func newMatcher(extra []string) matcher {
	m := matcher{}
	for _, k := range slices.Concat(DefaultRedactKeys(), extra) {
		if n := normalize(nil, k); len(n) > 0 {
			m[string(n)] = struct{}{}
		}
	}
	return m
}

// match reports whether key is denylisted, as DefaultRedactKeys describes.
func (m matcher) match(key string) bool {
	var buf [64]byte
	for i := 0; i < len(key); i++ {
		c := key[i]
		if isSep(c) || !(i == 0 || isSep(key[i-1]) || 'A' <= c && c <= 'Z') {
			continue
		}
		if _, ok := m[string(normalize(buf[:0], key[i:]))]; ok {
			return true
		}
	}
	return false
}

func isSep(c byte) bool { return c == '_' || c == '-' || c == '.' || c == ' ' }

// normalize appends k to dst with ASCII letters lowered and separators removed.
func normalize(dst []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if !isSep(c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// needsRewrite reports whether a must pass through rewrite before an inner
// handler sees it: its key is denylisted, its value is a LogValuer (which may
// resolve to anything) or a duration, or it is a group holding such an
// attribute.
func (m matcher) needsRewrite(a slog.Attr) bool {
	switch a.Value.Kind() {
	case slog.KindLogValuer, slog.KindDuration:
		return true
	case slog.KindGroup:
		if slices.ContainsFunc(a.Value.Group(), m.needsRewrite) {
			return true
		}
	}
	return m.match(a.Key)
}

// maxGroupDepth bounds how deep rewrite follows nested groups, so that a
// LogValuer that returns itself cannot exhaust the stack.
const maxGroupDepth = 64

// rewrite returns a with every LogValuer resolved, every duration written as
// a Go duration string such as "1.5s", and every denylisted key's value
// replaced by [Redacted], all the way down its groups. A denylisted key's
// LogValuer is never called.
func (m matcher) rewrite(a slog.Attr, depth int) slog.Attr {
	if !m.needsRewrite(a) {
		return a
	}
	if m.match(a.Key) {
		if a.Value.Kind() == slog.KindGroup && len(a.Value.Group()) == 0 {
			return a // an empty group, which handlers leave out
		}
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch {
	case v.Kind() == slog.KindDuration:
		return slog.String(a.Key, v.Duration().String())
	case v.Kind() != slog.KindGroup:
		return slog.Attr{Key: a.Key, Value: v}
	case depth >= maxGroupDepth:
		return slog.String(a.Key, "!logx: groups nested too deep")
	}
	as := slices.Clone(v.Group())
	for i := range as {
		as[i] = m.rewrite(as[i], depth+1)
	}
	return slog.Attr{Key: a.Key, Value: slog.GroupValue(as...)}
}
