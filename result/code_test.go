package result

import (
	"strings"
	"testing"
)

func TestCodes(t *testing.T) {
	tests := []struct {
		code      Code
		status    int
		title     string
		retryable bool
	}{
		{CodeValidation, 400, "Invalid request", false},
		{CodeUnauthorized, 401, "Unauthorized", false},
		{CodeForbidden, 403, "Forbidden", false},
		{CodeNotFound, 404, "Not found", false},
		{CodeMethodNotAllowed, 405, "Method not allowed", false},
		{CodeConflict, 409, "Conflict", false},
		{CodePayloadTooLarge, 413, "Payload too large", false},
		{CodeUnsupportedMediaType, 415, "Unsupported media type", false},
		{CodeRateLimited, 429, "Too many requests", true},
		{CodeCanceled, 499, "Request canceled", false},
		{CodeInternal, 500, "Internal error", false},
		{CodeUpstreamFailure, 502, "Upstream failure", true},
		{CodeUnavailable, 503, "Service unavailable", true},
		{CodeTimeout, 504, "Timeout", true},
	}
	if got, want := len(Codes()), len(tests); got != want {
		t.Fatalf("len(Codes()) = %d, want %d", got, want)
	}
	types := map[string]Code{}
	for i, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			if Codes()[i] != tt.code {
				t.Errorf("Codes()[%d] = %s, want %s", i, Codes()[i], tt.code)
			}
			if !tt.code.Known() {
				t.Errorf("%s.Known() = false", tt.code)
			}
			if got := tt.code.HTTPStatus(); got != tt.status {
				t.Errorf("HTTPStatus() = %d, want %d", got, tt.status)
			}
			if got := tt.code.Title(); got != tt.title {
				t.Errorf("Title() = %q, want %q", got, tt.title)
			}
			if got := tt.code.Retryable(); got != tt.retryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.retryable)
			}
			if got := tt.code.String(); got != string(tt.code) {
				t.Errorf("String() = %q", got)
			}
			pt := tt.code.ProblemType()
			if !strings.HasPrefix(pt, "tag:hardenkit.dev,2026:problem/") {
				t.Errorf("ProblemType() = %q, want the tag URI prefix", pt)
			}
			if other, dup := types[pt]; dup {
				t.Errorf("ProblemType() %q shared with %s", pt, other)
			}
			types[pt] = tt.code
		})
	}
}

func TestUnknownCode(t *testing.T) {
	c := Code("TEAPOT")
	if c.Known() {
		t.Error("Known() = true for an unknown code")
	}
	if got := c.HTTPStatus(); got != 500 {
		t.Errorf("HTTPStatus() = %d, want 500", got)
	}
	if got := c.Title(); got != CodeInternal.Title() {
		t.Errorf("Title() = %q, want %q", got, CodeInternal.Title())
	}
	if c.Retryable() {
		t.Error("Retryable() = true for an unknown code")
	}
	if got := c.ProblemType(); got != CodeInternal.ProblemType() {
		t.Errorf("ProblemType() = %q, want the INTERNAL type", got)
	}
}
