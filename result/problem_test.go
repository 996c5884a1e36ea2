package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestWriteProblemGolden(t *testing.T) {
	secret := errors.New("pq: password authentication failed for user admin")
	tests := []struct {
		name    string
		err     error
		reqID   string
		status  int
		headers map[string]string
	}{
		{"not_found", NotFound("project", "42"), "req-1", 404, nil},
		{"validation", Validation(
			Violation{Pointer: "/name", Rule: "min", Param: "3", Message: "must be at least 3 characters"},
			Violation{Pointer: "/items/0/kind", Rule: "oneof", Param: "a b", Message: "must be one of: a b"},
		), "req-2", 400, nil},
		{"rate_limited", RateLimited(1500 * time.Millisecond), "", 429, map[string]string{"Retry-After": "2"}},
		{"unavailable", Unavailable("maintenance", time.Minute), "", 503, map[string]string{"Retry-After": "60"}},
		{"payload_too_large", PayloadTooLarge(1 << 20), "", 413, nil},
		{"internal_hides_cause", Internal(secret), "req-3", 500, nil},
		{"plain_error_hidden", fmt.Errorf("query: %w", secret), "", 500, nil},
		{"upstream_hides_service", UpstreamFailure("billing.internal:8443", 503, secret), "", 502, nil},
		{"wrapped_conflict", fmt.Errorf("save: %w", Conflict("project", "7", "already_exists")), "", 409, nil},
		{"unknown_code", &Error{Code: "TEAPOT", Message: "secret detail"}, "", 500, nil},
		{"canceled", Canceled(nil), "", 499, nil},
		{"method_not_allowed", MethodNotAllowed("GET", "HEAD"), "", 405, map[string]string{"Allow": "GET, HEAD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if tt.reqID != "" {
				rec.Header().Set("X-Request-ID", tt.reqID)
			}
			req := httptest.NewRequest(http.MethodGet, "/projects/42?token=abc", nil)
			WriteProblem(rec, req, tt.err)

			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			for k, v := range tt.headers {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tt.headers == nil && rec.Header().Get("Retry-After") != "" {
				t.Errorf("unexpected Retry-After %q", rec.Header().Get("Retry-After"))
			}
			body := rec.Body.Bytes()
			var p Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if p.Status != rec.Code {
				t.Errorf("body status %d != response status %d", p.Status, rec.Code)
			}
			if p.RequestID != tt.reqID {
				t.Errorf("request_id = %q, want %q", p.RequestID, tt.reqID)
			}
			for _, leak := range []string{"password", "pq:", "billing.internal", "secret detail", "token=abc"} {
				if bytes.Contains(body, []byte(leak)) {
					t.Errorf("body leaks %q: %s", leak, body)
				}
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, body, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := filepath.Join("testdata", "golden", tt.name+".json")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to create): %v", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("body differs from %s\ngot:\n%s\nwant:\n%s", golden, pretty.Bytes(), want)
			}
		})
	}
}

// A delay hint replaces a Retry-After the handler had set.
func TestWriteProblemReplacesRetryAfter(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Retry-After", "3600")
	WriteProblem(rec, nil, RateLimited(5*time.Second))
	if got := rec.Header().Values("Retry-After"); len(got) != 1 || got[0] != "5" {
		t.Errorf("Retry-After = %q, want [5]", got)
	}
}

// The delay sent is whole seconds rounded up, and never overflows, however
// long the error asks for.
func TestWriteProblemRetryAfterBounds(t *testing.T) {
	tests := []struct {
		after time.Duration
		want  int64
	}{
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + 1, 2},
		{time.Hour - time.Second + 1, 3600},
		{48 * time.Hour, 172800}, // a daily quota's wait is sent as it is
		{time.Duration(math.MaxInt64), 9223372037},
		{time.Duration(math.MaxInt64 - 1), 9223372037},
	}
	for _, tt := range tests {
		for _, err := range []*Error{RateLimited(tt.after), Unavailable("", tt.after)} {
			rec := httptest.NewRecorder()
			WriteProblem(rec, nil, err)
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			want := strconv.FormatInt(tt.want, 10)
			if p.RetryAfter != tt.want || rec.Header().Get("Retry-After") != want {
				t.Errorf("%s after %v: retry_after %d, Retry-After %q; want %s",
					err.Code, tt.after, p.RetryAfter, rec.Header().Get("Retry-After"), want)
			}
		}
	}
}

func TestWriteProblemNilErrorWritesNothing(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteProblem(rec, nil, nil)
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Errorf("wrote %d bytes and headers %v for a nil error", rec.Body.Len(), rec.Header())
	}
}

func TestWriteProblemNilRequest(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteProblem(rec, nil, NotFound("x", "1"))
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Instance != "" || p.Status != 404 {
		t.Errorf("problem = %+v, err %v", p, err)
	}
}

func TestWriteProblemClearsStaleHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Encoding", "gzip")
	rec.Header().Set("ETag", `"v1"`)
	rec.Header().Set("Last-Modified", "Sun, 22 Nov 2026 10:00:00 GMT")
	rec.Header().Set("Content-Disposition", "attachment; filename=report.csv")
	rec.Header().Set("Content-Range", "bytes 0-99/1000")
	rec.Header().Set("Retry-After", "3600")
	rec.Header().Set("Cache-Control", "public, max-age=86400")
	rec.Header().Set("Vary", "Origin")
	WriteProblem(rec, nil, NotFound("report", "1"))
	for _, h := range []string{"Content-Encoding", "ETag", "Last-Modified", "Content-Disposition", "Content-Range", "Retry-After"} {
		if rec.Header().Get(h) != "" {
			t.Errorf("%s still set on a problem response", h)
		}
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if got := rec.Header().Get("Vary"); got != "Origin" {
		t.Errorf("Vary = %q, want it kept", got)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("X-Content-Type-Options not set")
	}
	if got := rec.Header().Get("Content-Length"); got != fmt.Sprint(rec.Body.Len()) {
		t.Errorf("Content-Length = %s, body is %d bytes", got, rec.Body.Len())
	}
}

// FuzzWriteProblemHidesCause checks that the text of an internal cause, or of
// an error that is not a *Error, never reaches a problem body: the body must be
// byte for byte the same whatever that text is.
func FuzzWriteProblemHidesCause(f *testing.F) {
	f.Add("pq: password authentication failed", uint8(0))
	f.Add("<script>alert(1)</script>", uint8(3))
	f.Add("\x00\xff\"}", uint8(9))
	f.Add("internal", uint8(12))
	errorsFor := func(text string, code Code) []error {
		cause := errors.New(text)
		return []error{
			cause,
			fmt.Errorf("wrapped: %w", cause),
			&Error{Code: code, Message: "safe message", Cause: cause},
			UpstreamFailure(text, 500, cause),
			errors.Join(cause, &Error{Code: code, Message: "safe message", Cause: cause}),
		}
	}
	render := func(err error) []byte {
		rec := httptest.NewRecorder()
		WriteProblem(rec, httptest.NewRequest("GET", "/x", nil), err)
		return rec.Body.Bytes()
	}
	f.Fuzz(func(t *testing.T, secret string, k uint8) {
		code := Codes()[int(k)%len(Codes())]
		reference := errorsFor("reference text", code)
		for i, err := range errorsFor(secret, code) {
			got, want := render(err), render(reference[i])
			if !bytes.Equal(got, want) {
				t.Fatalf("case %d: the cause text changed the body:\n%s\nwant\n%s", i, got, want)
			}
			var p Problem
			if err := json.Unmarshal(got, &p); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
		}
	})
}

func BenchmarkWriteProblem(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/projects/42", nil)
	err := fmt.Errorf("handler: %w", NotFound("project", "42"))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.h.Set("X-Request-ID", "0190c5a8-7bde-7d38-a2b5-1f1f0e1f9a11")
		WriteProblem(w, req, err)
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func response(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	u, _ := url.Parse("http://inventory.internal:8080/items/1")
	return &http.Response{
		StatusCode: status,
		Status:     http.StatusText(status),
		Header:     header,
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    &http.Request{Method: "GET", URL: u},
	}
}

func TestFromResponse(t *testing.T) {
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	problem := http.Header{"Content-Type": {"application/problem+json; charset=utf-8"}}
	tests := []struct {
		name      string
		resp      *http.Response
		code      Code
		after     time.Duration // exact unless afterMin is set
		afterMin  time.Duration
		message   string
		retryable bool
	}{
		{"ok", response(200, nil, ""), "", 0, 0, "", false},
		{"no content", response(204, nil, ""), "", 0, 0, "", false},
		{"429 seconds", response(429, http.Header{"Retry-After": {"7"}}, ""), CodeRateLimited, 7 * time.Second, 0, "too many requests; try again later", true},
		{"429 http date", response(429, http.Header{"Retry-After": {date}}, ""), CodeRateLimited, 0, 80 * time.Second, "", true},
		{"503 seconds", response(503, http.Header{"Retry-After": {"120"}}, ""), CodeUnavailable, 2 * time.Minute, 0, "", true},
		{"429 huge", response(429, http.Header{"Retry-After": {"99999999"}}, ""), CodeRateLimited, maxRetryAfter, 0, "", true},
		{"429 garbage", response(429, http.Header{"Retry-After": {"soon-ish"}}, ""), CodeRateLimited, 0, 0, "", true},
		{"429 negative", response(429, http.Header{"Retry-After": {"-3"}}, ""), CodeRateLimited, 0, 0, "", true},
		{"429 past date", response(429, http.Header{"Retry-After": {"Sun, 06 Nov 1994 08:49:37 GMT"}}, ""), CodeRateLimited, 0, 0, "", true},
		{"500 plain", response(500, nil, "stack trace here"), CodeUpstreamFailure, 0, 0, "a dependency failed", false},
		{"501", response(501, nil, ""), CodeUpstreamFailure, 0, 0, "", false},
		{"502 ignores Retry-After", response(502, http.Header{"Retry-After": {"5"}}, ""), CodeUpstreamFailure, 0, 0, "", true},
		{"504", response(504, nil, ""), CodeUpstreamFailure, 0, 0, "", true},
		{"408", response(408, nil, ""), CodeUpstreamFailure, 0, 0, "", true},
		{"400 plain", response(400, nil, "bad"), CodeUpstreamFailure, 0, 0, "", false},
		{"404 plain", response(404, nil, ""), CodeUpstreamFailure, 0, 0, "", false},
		{"301", response(301, nil, ""), CodeUpstreamFailure, 0, 0, "", false},
		{"304", response(304, nil, ""), CodeUpstreamFailure, 0, 0, "", false},
		{"problem not found", response(404, problem, `{"type":"x","title":"Not found","status":404,"code":"NOT_FOUND","detail":"item not found","reason":"gone"}`), CodeNotFound, 0, 0, "item not found", false},
		{"problem rate limited body hint", response(429, problem, `{"status":429,"code":"RATE_LIMITED","detail":"slow down","retry_after":4}`), CodeRateLimited, 4 * time.Second, 0, "slow down", true},
		{"problem header beats body", response(503, http.Header{"Content-Type": {"application/problem+json"}, "Retry-After": {"9"}}, `{"code":"UNAVAILABLE","retry_after":4}`), CodeUnavailable, 9 * time.Second, 0, "Service unavailable", true},
		{"problem internal is upstream failure", response(500, problem, `{"code":"INTERNAL","detail":"an internal error occurred"}`), CodeUpstreamFailure, 0, 0, "an internal error occurred", false},
		{"problem upstream failure", response(502, problem, `{"code":"UPSTREAM_FAILURE"}`), CodeUpstreamFailure, 0, 0, "Upstream failure", true},
		{"problem timeout", response(504, problem, `{"code":"TIMEOUT"}`), CodeTimeout, 0, 0, "Timeout", true},
		{"problem unknown code", response(418, problem, `{"code":"TEAPOT","detail":"short and stout"}`), CodeUpstreamFailure, 0, 0, "a dependency failed", false},
		{"problem malformed", response(404, problem, `{"code":`), CodeUpstreamFailure, 0, 0, "a dependency failed", false},
		{"json not problem", response(404, http.Header{"Content-Type": {"application/json"}}, `{"code":"NOT_FOUND"}`), CodeUpstreamFailure, 0, 0, "", false},
		{"problem too large", response(400, problem, `{"code":"VALIDATION","detail":"`+strings.Repeat("x", 70<<10)+`"}`), CodeUpstreamFailure, 0, 0, "", false},
		{"problem long detail cut", response(409, problem, `{"code":"CONFLICT","detail":"`+strings.Repeat("y", 5000)+`"}`), CodeConflict, 0, 0, strings.Repeat("y", 1024), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := FromResponse(tt.resp)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("FromResponse = %v, want nil", err)
				}
				return
			}
			e := asResultError(err)
			if e == nil {
				t.Fatalf("FromResponse = %v, want a *Error", err)
			}
			if e.Code != tt.code {
				t.Errorf("code = %s, want %s", e.Code, tt.code)
			}
			if tt.afterMin > 0 {
				if e.After < tt.afterMin || e.After > tt.afterMin+15*time.Second {
					t.Errorf("After = %v, want about %v", e.After, tt.afterMin)
				}
			} else if e.After != tt.after {
				t.Errorf("After = %v, want %v", e.After, tt.after)
			}
			if tt.message != "" && e.Message != tt.message {
				t.Errorf("Message = %q, want %q", e.Message, tt.message)
			}
			if e.Retryable() != tt.retryable {
				t.Errorf("Retryable() = %v, want %v", e.Retryable(), tt.retryable)
			}
			if e.Service != "inventory.internal:8080" || e.UpstreamStatus != tt.resp.StatusCode {
				t.Errorf("Service %q UpstreamStatus %d", e.Service, e.UpstreamStatus)
			}
			if !strings.Contains(e.Error(), "inventory.internal:8080 responded") {
				t.Errorf("Error() = %q, want the upstream named", e.Error())
			}
		})
	}
}

func TestFromResponseReadsBoundedPrefix(t *testing.T) {
	body := &countingReader{r: strings.NewReader(strings.Repeat("z", 10<<20))}
	resp := response(500, http.Header{"Content-Type": {"application/problem+json"}}, "")
	resp.Body = io.NopCloser(body)
	_ = FromResponse(resp)
	if body.n > 65<<10 {
		t.Errorf("read %d bytes of the body; want at most about 64 KiB", body.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestFromResponseNil(t *testing.T) {
	err := FromResponse(nil)
	if CodeOf(err) != CodeInternal || !strings.Contains(err.Error(), "nil response") {
		t.Errorf("FromResponse(nil) = %v", err)
	}
	resp := response(503, nil, "")
	resp.Body = nil
	resp.Request = nil
	if e := asResultError(FromResponse(resp)); e == nil || e.Code != CodeUnavailable || e.Service != "" {
		t.Errorf("no body/request: %v", e)
	}
	if errors.Is(FromResponse(resp), ErrNotFound) {
		t.Error("503 matched ErrNotFound")
	}
}

// An upstream's detail is cut on a character boundary, and an over-long
// reason does not reach this service's own problem body.
func TestFromResponseBoundsDetailAndReason(t *testing.T) {
	problem := http.Header{"Content-Type": {ContentTypeProblem}}
	tests := []struct {
		name, detail, reason string
		wantDetail           string
		wantReason           string
	}{
		{"rune across the cut", strings.Repeat("a", 1023) + "é", "gone", strings.Repeat("a", 1023), "gone"},
		{"4-byte rune across the cut", strings.Repeat("a", 1022) + "😀tail", "", strings.Repeat("a", 1022), ""},
		{"rune ends at the cut", strings.Repeat("a", 1022) + "é", "", strings.Repeat("a", 1022) + "é", ""},
		{"reason at the limit", "d", strings.Repeat("r", 64), "d", strings.Repeat("r", 64)},
		{"reason over the limit", "d", strings.Repeat("r", 65), "d", ""},
		{"huge reason", "d", strings.Repeat("r", 60000), "d", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"code":"CONFLICT","detail":%q,"reason":%q}`, tt.detail, tt.reason)
			e := asResultError(FromResponse(response(409, problem, body)))
			if e == nil || e.Code != CodeConflict {
				t.Fatalf("FromResponse = %v, want CONFLICT", e)
			}
			if !utf8.ValidString(e.Message) || e.Message != tt.wantDetail {
				t.Errorf("Message is %d bytes ending %q, valid UTF-8 %v; want %d bytes ending %q",
					len(e.Message), e.Message[max(0, len(e.Message)-4):], utf8.ValidString(e.Message),
					len(tt.wantDetail), tt.wantDetail[max(0, len(tt.wantDetail)-4):])
			}
			if e.Reason != tt.wantReason {
				t.Errorf("Reason has %d bytes, want %d", len(e.Reason), len(tt.wantReason))
			}
			rec := httptest.NewRecorder()
			WriteProblem(rec, nil, e)
			if rec.Body.Len() > 2<<10 {
				t.Errorf("our problem body is %d bytes", rec.Body.Len())
			}
		})
	}
}

// asResultError returns the first *Error in err's chain, or nil.
func asResultError(err error) *Error {
	e, _ := errors.AsType[*Error](err)
	return e
}
