package result

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

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
