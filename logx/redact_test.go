package logx

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestMatcherDefaultKeys(t *testing.T) {
	t.Parallel()
	m := newMatcher(nil)
	tests := []struct {
		key  string
		want bool
	}{
		// Exact entries, any case and separators.
		{"password", true},
		{"PASSWORD", true},
		{"Password", true},
		{"pass_word", true},
		{"pass-word", true},
		{"secret", true},
		{"token", true},
		{"api_key", true},
		{"apiKey", true},
		{"ApiKey", true},
		{"API_KEY", true},
		{"api-key", true},
		{"api.key", true},
		{"api key", true},
		{"apikey", true},
		{"authorization", true},
		{"Authorization", true},
		{"cookie", true},
		{"Cookie", true},
		{"set-cookie", true},
		{"Set-Cookie", true},
		{"setCookie", true},
		{"private_key", true},
		{"privateKey", true},
		{"PRIVATE-KEY", true},
		{"_password_", true},
		// A denylisted word at the end of a longer key.
		{"db_password", true},
		{"dbPassword", true},
		{"DB_PASSWORD", true},
		{"DBPASSWORD", true},
		{"x-api-key", true},
		{"X-Api-Key", true},
		{"XAPIKey", true},
		{"Proxy-Authorization", true},
		{"client_secret", true},
		{"refresh_token", true},
		{"csrf-token", true},
		{"aws.secret_key", true},
		{"user.password", true},
		// Not denylisted.
		{"", false},
		{"_", false},
		{"user", false},
		{"id", false},
		{"duration", false},
		{"status", false},
		{"tokens", false},
		{"token_count", false},
		{"max_tokens", false},
		{"passwordless", false},
		{"password_hash", false},
		{"dbpassword", false}, // no word boundary before "password"
		{"secretary", false},
		{"cookiejar", false},
		{"keys", false},
		{"ключ", false},
		{"密码", false},
	}
	for _, tt := range tests {
		if got := m.match(tt.key); got != tt.want {
			t.Errorf("match(%q) = %v, want %v", tt.key, got, tt.want)
		}
		if got := m.needsRewrite(slog.String(tt.key, "v")); got != tt.want {
			t.Errorf("needsRewrite(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestMatcherExtraKeys(t *testing.T) {
	t.Parallel()
	m := newMatcher([]string{"SSN", "card-number", "", "__", "pw"})
	for key, want := range map[string]bool{
		"ssn":          true,
		"SSN":          true,
		"customer_ssn": true,
		"customerSSN":  true,
		"card_number":  true,
		"CardNumber":   true,
		"pw":           true, // two letters
		"user_pw":      true,
		"password":     true, // defaults stay
		"lessn":        false,
		"number":       false,
		"_":            false,
	} {
		if got := m.match(key); got != want {
			t.Errorf("match(%q) = %v, want %v", key, got, want)
		}
		if got := m.needsRewrite(slog.Int(key, 1)); got != want {
			t.Errorf("needsRewrite(%q) = %v, want %v", key, got, want)
		}
	}
}

// refMatch is the matcher's specification written out with strings, slowly.
func refMatch(entries []string, key string) bool {
	isSep := func(c byte) bool { return strings.IndexByte("_-. ", c) >= 0 }
	norm := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if c := s[i]; !isSep(c) {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	set := map[string]bool{}
	for _, e := range entries {
		if n := norm(e); n != "" {
			set[n] = true
		}
	}
	for i := 0; i < len(key); i++ {
		boundary := i == 0 || isSep(key[i-1]) || ('A' <= key[i] && key[i] <= 'Z')
		if boundary && !isSep(key[i]) && set[norm(key[i:])] {
			return true
		}
	}
	return false
}

func TestMatcherAgreesWithReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	extra := []string{"ssn", "pin_code", "x"}
	m := newMatcher(extra)
	all := append(DefaultRedactKeys(), extra...)
	words := append(append([]string{}, all...), "user", "id", "Key", "TOKEN", "word", "pass", "api", "set", "é", "_", "-", ".", " ", "A", "b")
	for range 20000 {
		var sb strings.Builder
		for range 1 + rng.IntN(4) {
			w := words[rng.IntN(len(words))]
			if rng.IntN(3) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			sb.WriteString(w)
		}
		key := sb.String()
		want := refMatch(all, key)
		if got := m.match(key); got != want {
			t.Fatalf("match(%q) = %v, reference says %v", key, got, want)
		}
		if got := m.needsRewrite(slog.String(key, "")); got != want {
			t.Fatalf("needsRewrite(%q) = %v, reference says %v", key, got, want)
		}
	}
}

func FuzzMatcher(f *testing.F) {
	for _, s := range []string{"password", "db_Password", "X-API-KEY", "tokens", "", "__", "a.b-c d", "\xff\x00token"} {
		f.Add(s)
	}
	m := newMatcher(nil)
	all := DefaultRedactKeys()
	f.Fuzz(func(t *testing.T, key string) {
		want := refMatch(all, key)
		if got := m.match(key); got != want {
			t.Fatalf("match(%q) = %v, reference says %v", key, got, want)
		}
		if got := m.needsRewrite(slog.String(key, "")); got != want {
			t.Fatalf("needsRewrite(%q) = %v, reference says %v", key, got, want)
		}
	})
}

// countingValuer counts its LogValue calls.
type countingValuer struct {
	calls *int
	v     slog.Value
}

func (c countingValuer) LogValue() slog.Value { *c.calls++; return c.v }

// selfValuer resolves to a group holding itself, forever.
type selfValuer struct{}

func (s selfValuer) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("again", s))
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	const secret = "hunter2"
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want map[string]any // expected values at the root
	}{
		{
			name: "record attrs, case and separator variants",
			log: func(l *slog.Logger) {
				l.Info("m", "Password", secret, "API-KEY", secret, "set_cookie", secret, "user", "bob")
			},
			want: map[string]any{"Password": Redacted, "API-KEY": Redacted, "set_cookie": Redacted, "user": "bob"},
		},
		{
			name: "WithAttrs at the root",
			log:  func(l *slog.Logger) { l.With("token", secret, "user", "bob").Info("m") },
			want: map[string]any{"token": Redacted, "user": "bob"},
		},
		{
			name: "WithAttrs in a group",
			log:  func(l *slog.Logger) { l.WithGroup("g").With("authorization", secret, "user", "bob").Info("m") },
			want: map[string]any{"g": map[string]any{"authorization": Redacted, "user": "bob"}},
		},
		{
			name: "record attrs in an open group",
			log:  func(l *slog.Logger) { l.WithGroup("g").Info("m", "secret", secret) },
			want: map[string]any{"g": map[string]any{"secret": Redacted}},
		},
		{
			name: "nested groups",
			log: func(l *slog.Logger) {
				l.Info("m", slog.Group("db", slog.String("host", "h"), slog.Group("auth", slog.String("user", "u"), slog.String("Password", secret))))
			},
			want: map[string]any{"db": map[string]any{"host": "h", "auth": map[string]any{"user": "u", "Password": Redacted}}},
		},
		{
			name: "nested groups in WithAttrs",
			log: func(l *slog.Logger) {
				l.With(slog.Group("creds", slog.String("api_key", secret))).Info("m")
			},
			want: map[string]any{"creds": map[string]any{"api_key": Redacted}},
		},
		{
			name: "denylisted group key",
			log: func(l *slog.Logger) {
				l.Info("m", slog.Group("credentials", slog.String("user", "u"), slog.String("pin", secret)))
			},
			want: map[string]any{"credentials": Redacted},
		},
		{
			name: "inline group with empty key",
			log:  func(l *slog.Logger) { l.Info("m", slog.Group("", slog.String("cookie", secret))) },
			want: map[string]any{"cookie": Redacted},
		},
		{
			name: "LogValuer resolving to a group",
			log: func(l *slog.Logger) {
				n := 0
				l.Info("m", slog.Any("conn", countingValuer{&n, slog.GroupValue(slog.String("user", "u"), slog.String("password", secret))}))
			},
			want: map[string]any{"conn": map[string]any{"user": "u", "password": Redacted}},
		},
		{
			name: "LogValuer inside a group",
			log: func(l *slog.Logger) {
				n := 0
				l.Info("m", slog.Group("outer", slog.Any("inner", countingValuer{&n, slog.GroupValue(slog.String("token", secret))})))
			},
			want: map[string]any{"outer": map[string]any{"inner": map[string]any{"token": Redacted}}},
		},
		{
			name: "LogValuer in WithAttrs",
			log: func(l *slog.Logger) {
				n := 0
				l.With(slog.Any("conn", countingValuer{&n, slog.GroupValue(slog.String("secret", secret))})).Info("m")
			},
			want: map[string]any{"conn": map[string]any{"secret": Redacted}},
		},
		{
			name: "Secret value under an ordinary key",
			log:  func(l *slog.Logger) { l.Info("m", "dsn", Secret(secret)) },
			want: map[string]any{"dsn": Redacted},
		},
		{
			name: "more attributes than fit inline",
			log: func(l *slog.Logger) {
				l.Info("m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "refresh_token", secret)
			},
			want: map[string]any{"a": float64(1), "f": float64(6), "refresh_token": Redacted},
		},
		{
			name: "self-referencing LogValuer",
			log:  func(l *slog.Logger) { l.Info("m", slog.Any("loop", selfValuer{}), "password", secret) },
			want: map[string]any{"password": Redacted},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, buf := newTestLogger(nil)
			tt.log(logger)
			if strings.Contains(buf.String(), secret) {
				t.Fatalf("secret logged: %s", buf.String())
			}
			line := buf.only(t)
			for k, want := range tt.want {
				if got := line[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
		})
	}
}

func TestRedactionSkipsLogValueOfDenylistedKey(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	n := 0
	logger.Info("m", slog.Any("private_key", countingValuer{&n, slog.StringValue("pem")}))
	if n != 0 {
		t.Errorf("LogValue called %d times for a denylisted key", n)
	}
	if got := buf.only(t)["private_key"]; got != Redacted {
		t.Errorf("private_key = %v", got)
	}
}

func TestRedactionResolvesLogValuerOnce(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	n := 0
	logger.Info("m", slog.Any("v", countingValuer{&n, slog.StringValue("x")}))
	if n != 1 {
		t.Errorf("LogValue called %d times, want 1", n)
	}
	if got := buf.only(t)["v"]; got != "x" {
		t.Errorf("v = %v", got)
	}
}

func TestRedactionWithOtherHandlers(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	logger := slog.New(NewHandler(slog.NewTextHandler(buf, nil), &HandlerOptions{RedactKeys: []string{"ssn"}}))
	ctx := WithRequestID(context.Background(), "req-t")
	logger.WithGroup("user").InfoContext(ctx, "m", "customer_ssn", "078-05-1120", "name", "bob")
	out := buf.String()
	if strings.Contains(out, "078-05-1120") {
		t.Errorf("ssn logged: %s", out)
	}
	for _, want := range []string{"user.customer_ssn=" + Redacted, "user.name=bob", "request_id=req-t"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}

func TestDefaultRedactKeysIsACopy(t *testing.T) {
	t.Parallel()
	a := DefaultRedactKeys()
	a[0] = "changed"
	if b := DefaultRedactKeys(); b[0] == "changed" {
		t.Error("DefaultRedactKeys shares its slice")
	}
	m := newMatcher(nil)
	for _, k := range DefaultRedactKeys() {
		if !m.match(k) {
			t.Errorf("default key %q not matched", k)
		}
	}
}

func TestRedactionOfDenylistedGroupNames(t *testing.T) {
	t.Parallel()
	logger, buf := newTestLogger(nil)
	// A group opened with WithGroup is redacted whole, as slog.Group is.
	logger.Info("attr", slog.Group("credentials", "user", "bob", "value", "hunter2"))
	logger.WithGroup("credentials").Info("record attrs", "user", "bob", "value", "hunter2")
	logger.WithGroup("credentials").With("value", "hunter2").Info("WithAttrs")
	logger.WithGroup("req").WithGroup("db_password").Info("nested", "v", "hunter2")
	logger.WithGroup("req").With("id", 7).WithGroup("Cookies").Info("under a kept group", "v", "hunter2")
	// Empty groups are left out, denylisted or not, as slog leaves them out.
	logger.WithGroup("credentials").Info("empty group")
	logger.With(slog.Group("credentials")).Info("empty group attr")

	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("a secret under a denylisted group name leaked:\n%s", buf.String())
	}
	lines := buf.lines(t)
	for _, i := range []int{0, 1, 2} {
		if got := lines[i]["credentials"]; got != Redacted {
			t.Errorf("%s: credentials = %v, want %q", lines[i]["msg"], got, Redacted)
		}
	}
	if req, _ := lines[3]["req"].(map[string]any); req["db_password"] != Redacted {
		t.Errorf("nested: req = %v, want db_password redacted", lines[3]["req"])
	}
	if req, _ := lines[4]["req"].(map[string]any); req["Cookies"] != Redacted || req["id"] != float64(7) {
		t.Errorf("under a kept group: req = %v, want id 7 and Cookies redacted", lines[4]["req"])
	}
	for _, i := range []int{5, 6} {
		if _, ok := lines[i]["credentials"]; ok {
			t.Errorf("%s: an empty group was written: %v", lines[i]["msg"], lines[i])
		}
	}
}
