package secure_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/secure"
)

var created = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })

func serve(h http.Handler, method, url string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, url, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHeaders(t *testing.T) {
	h := secure.Middleware(nil)(created)
	w := serve(h, http.MethodGet, "http://api.example.com/", nil)
	for k, want := range map[string]string{
		"Content-Security-Policy":    secure.DefaultCSP,
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Strict-Transport-Security":  "",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s: got %q, want %q", k, got, want)
		}
	}

	r := httptest.NewRequest(http.MethodGet, "https://api.example.com/", nil)
	r.TLS = &tls.ConnectionState{}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if got := w.Header().Get("Strict-Transport-Security"); got != "max-age=63072000; includeSubDomains" {
		t.Errorf("over TLS, Strict-Transport-Security = %q", got)
	}

	csp := "default-src 'none'; frame-ancestors 'none'"
	w = serve(secure.Middleware(&secure.Options{ContentSecurityPolicy: csp})(created), http.MethodGet, "/", nil)
	if got := w.Header().Get("Content-Security-Policy"); got != csp {
		t.Errorf("with an override, CSP = %q, want %q", got, csp)
	}
}

func TestCrossOrigin(t *testing.T) {
	h := secure.Middleware(&secure.Options{TrustedOrigins: []string{"https://app.example.com"}})(created)
	for _, tc := range []struct {
		name, method string
		header       map[string]string
		want         int
	}{
		{"same origin", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, 201},
		{"typed by the user", "POST", map[string]string{"Sec-Fetch-Site": "none"}, 201},
		{"cross site", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"same site, other subdomain", "DELETE", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://blog.example.com"}, 403},
		{"old browser, foreign Origin", "PUT", map[string]string{"Origin": "https://evil.example"}, 403},
		{"old browser, own Origin", "PUT", map[string]string{"Origin": "https://api.example.com"}, 201},
		{"trusted origin", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://app.example.com"}, 201},
		{"cross-site GET", "GET", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 201},
		{"not a browser", "POST", nil, 201},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(h, tc.method, "https://api.example.com/projects", tc.header)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if w.Header().Get("Content-Security-Policy") == "" {
				t.Error("no Content-Security-Policy")
			}
			if tc.want != 403 {
				return
			}
			var p result.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code != result.CodeForbidden || w.Header().Get("Content-Type") != result.ContentTypeProblem {
				t.Errorf("body %s (%v), want a FORBIDDEN problem", w.Body, err)
			}
		})
	}
}

func TestBadTrustedOrigin(t *testing.T) {
	var logs bytes.Buffer
	h := secure.Middleware(&secure.Options{
		TrustedOrigins: []string{"app.example.com/path"},
		Logger:         slog.New(slog.NewTextHandler(&logs, nil)),
	})(created)
	if w := serve(h, http.MethodGet, "/", nil); w.Code != http.StatusInternalServerError {
		t.Errorf("with a malformed trusted origin: %d, want 500", w.Code)
	}
	if !strings.Contains(logs.String(), `secure: trusted origin: invalid origin \"app.example.com/path\"`) {
		t.Errorf("logged %q, want the bad origin", logs.String())
	}
}
