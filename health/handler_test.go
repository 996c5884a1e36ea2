package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// serve sends one request to h.
func serve(h http.Handler, method, target string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var acceptText = http.Header{"Accept": {"text/plain"}}

func fail(msg string) func(context.Context) error {
	return func(context.Context) error { return errors.New(msg) }
}

func TestHandlerRoutes(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "db", Critical: true, Func: fail("down")})
	mustAdd(t, c, Check{Name: "loop", Critical: true, Probes: Liveness, Func: pass})
	mustAdd(t, c, Check{Name: "migrated", Critical: true, Probes: Startup, Func: pass})
	h := c.Handler()
	tests := []struct {
		path string
		code int
		want string // in the text body
	}{
		{"/livez", 200, "ok"},
		{"/readyz", 503, "[-]db failed: reason withheld\nreadyz check failed\n"},
		{"/healthz", 503, "healthz check failed"},
		{"/startupz", 200, "ok"},
		{"/readyz/", 503, "readyz check failed"},
		{"/internal/readyz", 503, "readyz check failed"},
		{"/readyz/db", 503, "[-]db failed: reason withheld\nreadyz/db check failed\n"},
		{"/livez/loop", 200, "ok"},
		{"/startupz/migrated", 200, "ok"},
		{"/livez/db", 404, `health: no check "db" in livez`},
		{"/readyz/nope", 404, `health: no check "nope" in readyz`},
		{"/readyz/db/extra", 404, `health: no probe at "/readyz/db/extra"`},
		{"/", 404, "no probe"},
		{"/metrics", 404, "no probe"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := serve(h, "GET", tt.path, acceptText)
			if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tt.path, rec.Code, rec.Body, tt.code, tt.want)
			}
		})
	}
}

func TestHandlerMethods(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "db", Func: pass})
	h := c.Handler()
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		rec := serve(h, m, "/readyz", nil)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s = %d Allow %q, want 405 Allow \"GET, HEAD\"", m, rec.Code, rec.Header().Get("Allow"))
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", m, cc)
		}
	}
	for _, path := range []string{"/nope", "/readyz/nope"} {
		rec := serve(h, "GET", path, nil)
		if rec.Code != http.StatusNotFound || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s = %d Cache-Control %q, want 404 no-store", path, rec.Code, rec.Header().Get("Cache-Control"))
		}
	}
	get := serve(h, "GET", "/readyz", nil)
	head := serve(h, "HEAD", "/readyz", nil)
	if head.Code != 200 || head.Body.Len() != 0 {
		t.Errorf("HEAD = %d with %d body bytes, want 200 and none", head.Code, head.Body.Len())
	}
	if got, want := head.Header().Get("Content-Length"), get.Header().Get("Content-Length"); got == "" || got != want {
		t.Errorf("HEAD Content-Length = %q, GET's = %q; want equal, non-empty", got, want)
	}
}

func TestStatusCodes(t *testing.T) {
	tests := []struct {
		name   string
		checks []Check
		code   int
		status Status
	}{
		{"no checks", nil, 200, StatusPass},
		{"pass", []Check{{Name: "a", Critical: true, Func: pass}}, 200, StatusPass},
		{"non-critical failing", []Check{{Name: "a", Func: fail("x")}, {Name: "b", Critical: true, Func: pass}}, 200, StatusWarn},
		{"critical failing", []Check{{Name: "a", Func: fail("x")}, {Name: "b", Critical: true, Func: fail("y")}}, 503, StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestChecker(t, nil)
			for _, ch := range tt.checks {
				mustAdd(t, c, ch)
			}
			rec := serve(c.Handler(), "GET", "/readyz", nil)
			var body jsonBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if rec.Code != tt.code || body.Status != tt.status {
				t.Errorf("got %d %q, want %d %q", rec.Code, body.Status, tt.code, tt.status)
			}
		})
	}
}

func TestJSONBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, &Options{ServiceID: "svc-1", Description: "orders API", Version: "1", ReleaseID: "1.4.2"})
		mustAdd(t, c, Check{Name: "db", Critical: true, Func: pass})
		mustAdd(t, c, Check{Name: "cache", Func: fail("dial tcp 10.0.0.7:6379: password=hunter2 rejected")})
		rec := serve(c.Handler(), "GET", "/readyz", nil)
		if ct := rec.Header().Get("Content-Type"); ct != "application/health+json" {
			t.Errorf("Content-Type = %q, want application/health+json", ct)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00") // the bubble's clock stands still
		checks := got["checks"].(map[string]any)
		db := checks["db:responseTime"].([]any)[0].(map[string]any)
		cache := checks["cache:responseTime"].([]any)[0].(map[string]any)
		for k, want := range map[string]any{"status": "warn", "serviceId": "svc-1", "description": "orders API", "version": "1", "releaseId": "1.4.2"} {
			if got[k] != want {
				t.Errorf("%s = %v, want %v", k, got[k], want)
			}
		}
		if db["status"] != "pass" || db["time"] != at || db["observedUnit"] != "ms" || db["output"] != nil {
			t.Errorf("db = %v, want pass at %s in ms without output", db, at)
		}
		if _, ok := db["observedValue"].(float64); !ok {
			t.Errorf("db observedValue = %v, want a number", db["observedValue"])
		}
		if cache["status"] != "warn" || cache["output"] != "check failed" {
			t.Errorf("cache = %v, want warn with output \"check failed\"", cache)
		}
		if strings.Contains(rec.Body.String(), "hunter2") {
			t.Errorf("body shows the error: %s", rec.Body)
		}
	})
}

func TestTextBody(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "db", Critical: true, Func: pass})
	mustAdd(t, c, Check{Name: "cache", Func: fail("down")})
	mustAdd(t, c, Check{Name: "loop", Critical: true, Probes: Liveness, Func: pass})
	h := c.Handler()
	tests := []struct {
		target string
		code   int
		body   string
	}{
		{"/livez", 200, "ok"},
		{"/livez?verbose", 200, "[+]loop ok\nlivez check passed\n"},
		{"/readyz", 200, "[+]db ok\n[!]cache warn: reason withheld\nreadyz check passed\n"},
		{"/readyz?exclude=cache", 200, "ok"},
		{"/readyz?exclude=cache&verbose=1", 200, "[+]db ok\n[+]cache excluded: ok\nreadyz check passed\n"},
		{"/readyz?exclude=cache,db", 200, "ok"},
		{"/readyz?exclude=cache&exclude=db&exclude=nope&verbose", 200,
			"[+]db excluded: ok\n[+]cache excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"nope\"\nreadyz check passed\n"},
		{"/readyz/db?exclude=db", 200, "ok"},
	}
	for _, tt := range tests {
		rec := serve(h, "GET", tt.target, acceptText)
		if rec.Code != tt.code || rec.Body.String() != tt.body {
			t.Errorf("GET %s = %d\n%s\nwant %d\n%s", tt.target, rec.Code, rec.Body, tt.code, tt.body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("GET %s Content-Type = %q", tt.target, ct)
		}
	}
}

func TestExcludeInJSON(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "db", Critical: true, Func: fail("down")})
	mustAdd(t, c, Check{Name: "cache", Critical: true, Func: pass})
	h := c.Handler()
	if rec := serve(h, "GET", "/readyz", nil); rec.Code != 503 {
		t.Fatalf("without exclude: %d, want 503", rec.Code)
	}
	rec := serve(h, "GET", "/readyz?exclude=db&exclude=ghost", nil)
	var body jsonBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || body.Status != StatusPass {
		t.Errorf("excluding the failing check: %d %q, want 200 pass", rec.Code, body.Status)
	}
	if _, ok := body.Checks["db:responseTime"]; ok {
		t.Errorf("excluded check is in the body: %s", rec.Body)
	}
	if len(body.Notes) != 1 || body.Notes[0] != `exclude: no check "ghost"` {
		t.Errorf("notes = %q, want one about ghost", body.Notes)
	}
}

func TestNegotiation(t *testing.T) {
	tests := []struct {
		accept string
		text   bool
	}{
		{"", false},
		{"*/*", false},
		{"text/plain", true},
		{"TEXT/PLAIN; charset=utf-8", true},
		{"text/*", true},
		{"application/json", false},
		{"application/health+json", false},
		{"application/json, text/plain", false},
		{"text/plain, application/json", false},
		{"text/plain, application/json;q=0.5", true},
		{"application/json;q=0.9, text/plain;q=1.0", true},
		{"text/plain;q=0", false},
		{"application/json;q=0", false},
		{"application/json;q=0, text/plain;q=0.1", true},
		{"text/plain;q=0, application/json;q=0", false},
		{"text/plain;q=bogus", false},
		{"text/plain;q=bogus, application/json", false},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false},
	}
	for _, tt := range tests {
		if got := wantsText(tt.accept); got != tt.text {
			t.Errorf("wantsText(%q) = %v, want %v", tt.accept, got, tt.text)
		}
	}
	if n := testing.AllocsPerRun(100, func() { wantsText("text/plain;q=0.5, application/json;q=0.4") }); n != 0 {
		t.Errorf("wantsText allocates %v times", n)
	}
}

// ?verbose changes only the text form: the JSON form lists every check.
func TestVerboseWithoutTextIsJSON(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "db", Critical: true, Func: pass})
	h := c.Handler()
	for _, accept := range []string{"", "*/*"} {
		rec := serve(h, "GET", "/readyz?verbose", http.Header{"Accept": {accept}})
		if ct := rec.Header().Get("Content-Type"); ct != "application/health+json" || !strings.Contains(rec.Body.String(), `"db:responseTime"`) {
			t.Errorf("Accept %q, ?verbose: %s %s, want JSON listing db", accept, ct, rec.Body)
		}
	}
}

func TestDetailsHiddenByDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const secret = "connect to db:5432 as admin password=hunter2: refused"
		c, logs := newTestChecker(t, &Options{
			ShowDetails: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ops" },
		})
		changes := changesOf(t, c)
		mustAdd(t, c, Check{Name: "db", Critical: true, Func: fail(secret + "\nsecond line")})
		h := c.Handler()

		for _, hdr := range []http.Header{nil, acceptText, {"Authorization": {"Bearer guess"}}} {
			rec := serve(h, "GET", "/readyz?verbose", hdr)
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Errorf("unauthorised response shows the error: %s", rec.Body)
			}
		}
		next(t, changes) // the change is logged before listeners hear of it
		if !strings.Contains(logs.String(), "hunter2") {
			t.Errorf("the error was not logged in full:\n%s", logs)
		}

		json := serve(h, "GET", "/readyz", http.Header{"Authorization": {"Bearer ops"}})
		if !strings.Contains(json.Body.String(), `"output":"connect to db:5432 as admin password=hunter2: refused\nsecond line"`) {
			t.Errorf("authorised JSON lacks the error: %s", json.Body)
		}
		text := serve(h, "GET", "/readyz", http.Header{"Authorization": {"Bearer ops"}, "Accept": {"text/plain"}})
		if want := "[-]db failed: " + secret + " second line\n"; !strings.Contains(text.Body.String(), want) {
			t.Errorf("authorised text = %q, want a line %q", text.Body, want)
		}
	})
}

func TestPackageReasonsAreShown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		var calls atomic.Int64
		mustAdd(t, c, Check{Name: "stuck", Critical: true, Timeout: 5 * time.Millisecond, Func: hang(t, &calls)})
		rec := serve(c.Handler(), "GET", "/readyz", acceptText)
		if want := "[-]stuck failed: timed out after 5ms\n"; !strings.Contains(rec.Body.String(), want) {
			t.Errorf("body = %q, want %q", rec.Body, want)
		}
	})
}

func TestDrainFailsReadinessOnly(t *testing.T) {
	c, logs := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "db", Critical: true, Probes: Liveness | Readiness | Startup, Func: pass})
	h := c.Handler()
	if rec := serve(h, "GET", "/readyz", nil); rec.Code != 200 {
		t.Fatalf("before Drain: %d", rec.Code)
	}
	c.Drain()
	c.Drain()
	if !c.Draining() {
		t.Error("Draining() = false after Drain")
	}
	if n := logs.Count("health: draining"); n != 1 {
		t.Errorf("drain logged %d times, want 1", n)
	}
	rec := serve(h, "GET", "/readyz", nil)
	var body jsonBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 503 || body.Status != StatusFail || body.Output != "shutting down" {
		t.Errorf("readyz while draining = %d %q %q, want 503 fail \"shutting down\"", rec.Code, body.Status, body.Output)
	}
	text := serve(h, "GET", "/readyz/db", acceptText)
	if text.Code != 503 || text.Body.String() != "[+]db ok\n[-]shutdown failed: shutting down\nreadyz/db check failed\n" {
		t.Errorf("readyz/db while draining = %d %q", text.Code, text.Body)
	}
	for _, p := range []string{"/livez", "/startupz", "/livez/db"} {
		if rec := serve(h, "GET", p, nil); rec.Code != 200 {
			t.Errorf("%s while draining = %d, want 200", p, rec.Code)
		}
	}
}

func TestAnswerFollowsChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		mustAdd(t, c, Check{Name: "db", Critical: true, Func: sequence(nil, errors.New("down"))})
		h := c.Handler()
		first := serve(h, "GET", "/readyz", nil)
		if again := serve(h, "GET", "/readyz", nil); again.Body.String() != first.Body.String() {
			t.Errorf("an answer within the TTL changed: %s, then %s", first.Body, again.Body)
		}
		time.Sleep(DefaultCacheTTL)
		changed := serve(h, "GET", "/readyz", nil)
		if changed.Code != 503 || changed.Body.String() == first.Body.String() {
			t.Errorf("after the check failed: %d %s, want a new 503 body", changed.Code, changed.Body)
		}
		// Each endpoint names itself.
		if rec := serve(h, "GET", "/healthz", acceptText); !strings.HasSuffix(rec.Body.String(), "healthz check failed\n") {
			t.Errorf("healthz text = %q", rec.Body)
		}
		if rec := serve(h, "GET", "/readyz", acceptText); !strings.HasSuffix(rec.Body.String(), "readyz check failed\n") {
			t.Errorf("readyz text = %q", rec.Body)
		}
	})
}

func TestAddWhileServingShowsNewCheck(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	h := c.Handler()
	serve(h, "GET", "/readyz", nil)
	mustAdd(t, c, Check{Name: "late", Critical: true, Func: fail("down")})
	if rec := serve(h, "GET", "/readyz", nil); rec.Code != 503 || !strings.Contains(rec.Body.String(), "late:responseTime") {
		t.Errorf("after Add: %d %s", rec.Code, rec.Body)
	}
}

func TestProbeWaitsNoLongerThanRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		var calls atomic.Int64
		mustAdd(t, c, Check{Name: "stuck", Critical: true, Timeout: time.Hour, Func: hang(t, &calls)})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, "GET", "/readyz", nil)
		rec := httptest.NewRecorder()
		start := time.Now()
		c.Handler().ServeHTTP(rec, req)
		if d := time.Since(start); d != 20*time.Millisecond {
			t.Errorf("handler took %v for a request that ended after 20ms", d)
		}
		if rec.Code != 503 || !strings.Contains(rec.Body.String(), "no result yet") {
			t.Errorf("got %d %s, want 503 no result yet", rec.Code, rec.Body)
		}
	})
}

// jsonBody is the response body, decoded.
type jsonBody struct {
	Status      Status
	Version     string
	ReleaseID   string
	ServiceID   string
	Description string
	Output      string
	Notes       []string
	Checks      map[string][]struct {
		Status        Status
		Time          string
		ObservedValue *float64
		ObservedUnit  string
		Output        string
	}
}

// The hand-written JSON escapes what it must: the body decodes to the
// strings that went in.
func TestJSONBodyEscapes(t *testing.T) {
	const odd = "a \"quoted\" \\ <b>&\t\x00 é\n"
	c, _ := newTestChecker(t, &Options{ServiceID: odd, Description: odd, Version: odd, ReleaseID: odd,
		ShowDetails: func(*http.Request) bool { return true }})
	mustAdd(t, c, Check{Name: "db", Critical: true, Func: fail(odd)})
	c.Drain()
	rec := serve(c.Handler(), "GET", "/readyz?exclude="+url.QueryEscape(odd), nil)
	var body jsonBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if body.ServiceID != odd || body.Description != odd || body.Version != odd || body.ReleaseID != odd {
		t.Errorf("service fields = %q %q %q %q, want %q", body.ServiceID, body.Description, body.Version, body.ReleaseID, odd)
	}
	if got := body.Checks["db:responseTime"][0].Output; got != odd {
		t.Errorf("output = %q, want %q", got, odd)
	}
	if body.Output != "shutting down" || len(body.Notes) != 1 || body.Notes[0] != "exclude: no check "+strconv.Quote(strings.TrimSpace(odd)) {
		t.Errorf("output %q, notes %q", body.Output, body.Notes)
	}
}
