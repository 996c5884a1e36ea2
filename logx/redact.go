package logx

import (
	"log/slog"
	"slices"
)

// DefaultRedactKeys returns the keys whose values logx redacts unless told
// otherwise: the usual names of passwords, secrets, tokens, keys, credentials
// and the HTTP headers that carry them. [HandlerOptions.RedactKeys] adds to
// this list. The returned slice is a fresh copy on every call.
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

// maxGroupDepth bounds how deep rewrite follows nested groups, so that a
// LogValuer that returns itself cannot exhaust the stack.
const maxGroupDepth = 64

// matcher decides whether an attribute key is denylisted. Keys are compared
// after normalization: ASCII letters lowered, separators ('_', '-', '.', ' ')
// dropped. A key matches when its normalized form equals a denylisted entry,
// or ends with one that starts at a word boundary of the key: after a
// separator or at an upper-case letter ("db_password", "dbPassword",
// "X-Api-Key" all match "password" or "api_key"; "tokens" and "token_count"
// do not match "token").
//
// The entries are stored reversed in a trie with one row per node and one
// column per byte class, and a key is walked from its last byte: most keys
// leave the trie after a byte or two, and match never allocates.
type matcher struct {
	// class maps each byte to its column: 0 for a byte in no entry,
	// sepClass for a separator. Upper- and lower-case letters share one.
	class  [256]uint8
	stride int
	// next[node*stride+class] is the child of node for class, or 0: the
	// root, node 0, is nobody's child.
	next []int32
	// term[node] reports whether an entry starts at node.
	term []bool
	// filter has a bit set for the last filterTail bytes of each entry; see
	// needsRewrite. It is used only if filtered: every entry is long enough.
	filter   [4096 / 64]uint64
	filtered bool
}

const sepClass = 255

func newMatcher(extra []string) *matcher {
	var entries []string
	for _, k := range slices.Concat(DefaultRedactKeys(), extra) {
		if n := normalize(k); n != "" {
			entries = append(entries, n)
		}
	}
	m := &matcher{}
	m.class['_'], m.class['-'], m.class['.'], m.class[' '] = sepClass, sepClass, sepClass, sepClass
	classes := 1
	for _, e := range entries {
		for i := 0; i < len(e); i++ {
			if c := e[i]; m.class[c] == 0 {
				m.class[c] = uint8(classes)
				if 'a' <= c && c <= 'z' {
					m.class[c-('a'-'A')] = uint8(classes)
				}
				classes++
			}
		}
	}
	// At most 252 distinct bytes can appear (256 less the four
	// separators), so classes stays below sepClass.
	m.stride = classes
	m.next = make([]int32, m.stride)
	m.term = []bool{false}
	for _, e := range entries {
		cur := int32(0)
		for i := len(e) - 1; i >= 0; i-- {
			slot := int(cur)*m.stride + int(m.class[e[i]])
			if m.next[slot] == 0 {
				m.next[slot] = int32(len(m.term))
				m.term = append(m.term, false)
				m.next = append(m.next, make([]int32, m.stride)...)
			}
			cur = m.next[slot]
		}
		m.term[cur] = true
	}
	m.filtered = true
	for _, e := range entries {
		n := len(e)
		if n < filterTail {
			m.filtered = false
			break
		}
		b := filterBit(uint32(e[n-1]|0x20) | uint32(e[n-2]|0x20)<<8 | uint32(e[n-3]|0x20)<<16)
		m.filter[b>>6] |= 1 << (b & 63)
	}
	return m
}

// match reports whether key is denylisted.
func (m *matcher) match(key string) bool {
	cur := int32(0)
	for i := len(key) - 1; i >= 0; i-- {
		c := key[i]
		cls := m.class[c]
		if cls == sepClass {
			continue
		}
		if cur = m.next[int(cur)*m.stride+int(cls)]; cur == 0 {
			return false
		}
		if m.term[cur] && (i == 0 || m.class[key[i-1]] == sepClass || ('A' <= c && c <= 'Z')) {
			return true
		}
	}
	return false
}

// isSep reports whether c is a separator that key comparison ignores.
func isSep(c byte) bool { return c == '_' || c == '-' || c == '.' || c == ' ' }

// lower maps an ASCII upper-case letter to lower case.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func normalize(k string) string {
	b := make([]byte, 0, len(k))
	for i := 0; i < len(k); i++ {
		if c := k[i]; !isSep(c) {
			b = append(b, lower(c))
		}
	}
	return string(b)
}

// needsRewrite reports whether a must be rewritten before an inner handler
// sees it: its key is denylisted, its value is a LogValuer (which may resolve
// to anything), or it is a group holding such an attribute.
//
// It runs for every attribute of every record, so most keys are rejected by
// a filter on their last three bytes, with a few predictable branches, before
// match walks the trie with a branch per byte that the branch predictor
// cannot learn between one record and the next. For a key that matches, the
// last three bytes are those of an entry, separators aside.
func (m *matcher) needsRewrite(a slog.Attr) bool {
	switch a.Value.Kind() {
	case slog.KindLogValuer:
		return true
	case slog.KindGroup:
		return m.groupNeedsRewrite(a)
	}
	key := a.Key
	if n := len(key); n >= filterTail && m.filtered {
		c1, c2, c3 := key[n-1], key[n-2], key[n-3]
		if m.class[c1] != sepClass && m.class[c2] != sepClass && m.class[c3] != sepClass {
			b := filterBit(uint32(c1|0x20) | uint32(c2|0x20)<<8 | uint32(c3|0x20)<<16)
			if m.filter[b>>6]&(1<<(b&63)) == 0 {
				return false
			}
		}
	}
	return m.match(key)
}

// filterTail is how many trailing bytes of a key the filter looks at.
const filterTail = 3

// filterBit hashes the packed tail of a key to a bit of matcher.filter.
// ORing each byte with 0x20 folds ASCII case; it may also merge a few other
// bytes, which only lets more keys through to match.
func filterBit(tail uint32) uint32 { return (tail * 0x9E3779B1) >> (32 - 12) }

func (m *matcher) groupNeedsRewrite(a slog.Attr) bool {
	if m.match(a.Key) {
		return true
	}
	for _, ga := range a.Value.Group() {
		if m.needsRewrite(ga) {
			return true
		}
	}
	return false
}

// rewrite returns a with every LogValuer resolved and every denylisted key's
// value replaced by [Redacted], all the way down its groups. A denylisted
// key's LogValuer is never called.
func (m *matcher) rewrite(a slog.Attr) slog.Attr {
	return m.rewriteDepth(a, 0)
}

// rewriteIfNeeded is rewrite with needsRewrite's quicker test in front.
func (m *matcher) rewriteIfNeeded(a slog.Attr) slog.Attr {
	if m.needsRewrite(a) {
		return m.rewrite(a)
	}
	return a
}

func (m *matcher) rewriteDepth(a slog.Attr, depth int) slog.Attr {
	if m.match(a.Key) {
		if a.Value.Kind() == slog.KindGroup && len(a.Value.Group()) == 0 {
			return a // an empty group, which handlers leave out
		}
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	if v.Kind() != slog.KindGroup {
		return slog.Attr{Key: a.Key, Value: v}
	}
	if depth >= maxGroupDepth {
		return slog.String(a.Key, "!logx: groups nested too deep")
	}
	as := v.Group()
	for i, ga := range as {
		if !m.needsRewrite(ga) {
			continue
		}
		out := make([]slog.Attr, len(as))
		copy(out, as[:i])
		for j := i; j < len(as); j++ {
			out[j] = m.rewriteDepth(as[j], depth+1)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// redactGroup returns g, a group built from a logger's WithGroup, with its
// value replaced by [Redacted] if its name is denylisted and it holds
// anything.
func (m *matcher) redactGroup(g slog.Attr) slog.Attr {
	if len(g.Value.Group()) > 0 && m.match(g.Key) {
		return slog.String(g.Key, Redacted)
	}
	return g
}
