package result

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestConstructors(t *testing.T) {
	cause := errors.New("db: connection reset")
	tests := []struct {
		name      string
		err       *Error
		code      Code
		status    int
		retryable bool
		after     time.Duration
		message   string
	}{
		{"New", New(CodeConflict, "version mismatch"), CodeConflict, 409, false, 0, "version mismatch"},
		{"NotFound", NotFound("project", "42"), CodeNotFound, 404, false, 0, "project not found"},
		{"Validation none", Validation(), CodeValidation, 400, false, 0, "the request is invalid"},
		{"Validation one", Validation(Violation{Pointer: "/name", Rule: "required", Message: "is required"}), CodeValidation, 400, false, 0, "the request has 1 invalid field"},
		{"Validation two", Validation(Violation{Pointer: "/a"}, Violation{Pointer: "/b"}), CodeValidation, 400, false, 0, "the request has 2 invalid fields"},
		{"Unauthorized", Unauthorized("token_expired"), CodeUnauthorized, 401, false, 0, "authentication is required"},
		{"Forbidden", Forbidden(""), CodeForbidden, 403, false, 0, "you may not perform this action"},
		{"Conflict", Conflict("project", "42", "already_exists"), CodeConflict, 409, false, 0, "project conflicts with its current state"},
		{"PayloadTooLarge", PayloadTooLarge(1 << 20), CodePayloadTooLarge, 413, false, 0, "the request body is larger than 1048576 bytes"},
		{"UnsupportedMediaType", UnsupportedMediaType("text/plain", "application/json"), CodeUnsupportedMediaType, 415, false, 0, `unsupported media type "text/plain"; use application/json`},
		{"UnsupportedMediaType none", UnsupportedMediaType(""), CodeUnsupportedMediaType, 415, false, 0, "the request has no Content-Type"},
		{"RateLimited", RateLimited(3 * time.Second), CodeRateLimited, 429, true, 3 * time.Second, "too many requests; try again later"},
		{"Canceled", Canceled(context.Canceled), CodeCanceled, 499, false, 0, "the request was canceled"},
		{"Internal", Internal(cause), CodeInternal, 500, false, 0, "an internal error occurred"},
		{"UpstreamFailure", UpstreamFailure("billing", 502, cause), CodeUpstreamFailure, 502, true, 0, "a dependency failed"},
		{"UpstreamFailure 4xx", UpstreamFailure("billing", 400, cause), CodeUpstreamFailure, 502, false, 0, "a dependency failed"},
		{"UpstreamFailure 408", UpstreamFailure("billing", 408, nil), CodeUpstreamFailure, 502, true, 0, "a dependency failed"},
		{"UpstreamFailure no status", UpstreamFailure("billing", 0, cause), CodeUpstreamFailure, 502, true, 0, "a dependency failed"},
		{"UpstreamFailure 429", UpstreamFailure("billing", 429, nil), CodeUpstreamFailure, 502, true, 0, "a dependency failed"},
		{"UpstreamFailure 503", UpstreamFailure("billing", 503, nil), CodeUpstreamFailure, 502, true, 0, "a dependency failed"},
		{"UpstreamFailure 504", UpstreamFailure("billing", 504, nil), CodeUpstreamFailure, 502, true, 0, "a dependency failed"},
		{"UpstreamFailure 500", UpstreamFailure("billing", 500, cause), CodeUpstreamFailure, 502, false, 0, "a dependency failed"},
		{"UpstreamFailure 501", UpstreamFailure("billing", 501, cause), CodeUpstreamFailure, 502, false, 0, "a dependency failed"},
		{"UpstreamFailure 301", UpstreamFailure("billing", 301, nil), CodeUpstreamFailure, 502, false, 0, "a dependency failed"},
		{"UpstreamFailure 304", UpstreamFailure("billing", 304, nil), CodeUpstreamFailure, 502, false, 0, "a dependency failed"},
		{"UpstreamFailure 101", UpstreamFailure("billing", 101, nil), CodeUpstreamFailure, 502, false, 0, "a dependency failed"},
		{"UpstreamFailure unusable 200", UpstreamFailure("billing", 200, io.ErrUnexpectedEOF), CodeUpstreamFailure, 502, true, 0, "a dependency failed"},
		{"Unavailable", Unavailable("maintenance", time.Minute), CodeUnavailable, 503, true, time.Minute, "the service is temporarily unavailable"},
		{"Timeout", Timeout(context.DeadlineExceeded), CodeTimeout, 504, true, 0, "the operation timed out"},
		{"empty code", &Error{Message: "x"}, CodeInternal, 500, false, 0, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CodeOf(tt.err); got != tt.code {
				t.Errorf("CodeOf = %s, want %s", got, tt.code)
			}
			if got := tt.err.HTTPStatus(); got != tt.status {
				t.Errorf("HTTPStatus() = %d, want %d", got, tt.status)
			}
			if got := tt.err.Retryable(); got != tt.retryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.retryable)
			}
			if got := tt.err.RetryAfter(); got != tt.after {
				t.Errorf("RetryAfter() = %v, want %v", got, tt.after)
			}
			if tt.err.Message != tt.message {
				t.Errorf("Message = %q, want %q", tt.err.Message, tt.message)
			}
			if !strings.HasPrefix(tt.err.Error(), string(tt.code)) {
				t.Errorf("Error() = %q, want it to start with %s", tt.err.Error(), tt.code)
			}
		})
	}
}

func TestUnsupportedMediaTypeTruncatesClientInput(t *testing.T) {
	e := UnsupportedMediaType(strings.Repeat("x", 10_000))
	if len(e.Message) > 200 {
		t.Errorf("message is %d bytes; client input must be cut short", len(e.Message))
	}
}

func TestErrorText(t *testing.T) {
	cause := errors.New("disk full")
	tests := []struct {
		err  *Error
		want string
	}{
		{NotFound("project", "42"), `NOT_FOUND: project not found (id "42")`},
		{Internal(cause), "INTERNAL: an internal error occurred: disk full"},
		{&Error{Code: CodeTimeout}, "TIMEOUT"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestWithMessageAndCauseCopy(t *testing.T) {
	base := NotFound("project", "1")
	cause := errors.New("sql: no rows")
	e := base.WithMessage("no such project").WithCause(cause)
	if base.Message != "project not found" || base.Cause != nil {
		t.Errorf("base changed: %+v", base)
	}
	if e.Message != "no such project" || !errors.Is(e, cause) || e.ID != "1" {
		t.Errorf("derived = %+v", e)
	}
}

func TestIsMatchesByCode(t *testing.T) {
	nf := NotFound("project", "42")
	wrapped := fmt.Errorf("handler: %w", fmt.Errorf("service: %w", nf))
	joined := errors.Join(errors.New("other"), wrapped)
	for name, err := range map[string]error{"direct": nf, "wrapped": wrapped, "joined": joined} {
		t.Run(name, func(t *testing.T) {
			if !errors.Is(err, ErrNotFound) {
				t.Error("errors.Is(err, ErrNotFound) = false")
			}
			if !errors.Is(err, NotFound("order", "7")) {
				t.Error("errors.Is with another NOT_FOUND error = false, want match by code")
			}
			if errors.Is(err, ErrConflict) {
				t.Error("errors.Is(err, ErrConflict) = true")
			}
			var e *Error
			if !errors.As(err, &e) || e != nf {
				t.Errorf("errors.As found %v, want the NotFound error", e)
			}
			if e, ok := errors.AsType[*Error](err); !ok || e != nf {
				t.Errorf("errors.AsType(err) = %v, want the NotFound error", e)
			}
		})
	}
	// Every sentinel matches its own code and no other.
	sentinels := map[Code]error{
		CodeValidation: ErrValidation, CodeUnauthorized: ErrUnauthorized, CodeForbidden: ErrForbidden,
		CodeNotFound: ErrNotFound, CodeMethodNotAllowed: ErrMethodNotAllowed, CodeConflict: ErrConflict, CodePayloadTooLarge: ErrPayloadTooLarge,
		CodeUnsupportedMediaType: ErrUnsupportedMediaType, CodeRateLimited: ErrRateLimited,
		CodeCanceled: ErrCanceled, CodeInternal: ErrInternal, CodeUpstreamFailure: ErrUpstreamFailure,
		CodeUnavailable: ErrUnavailable, CodeTimeout: ErrTimeout,
	}
	if len(sentinels) != len(Codes()) {
		t.Fatalf("%d sentinels for %d codes", len(sentinels), len(Codes()))
	}
	for code, s := range sentinels {
		for other := range sentinels {
			err := fmt.Errorf("wrap: %w", New(other, "x"))
			if got, want := errors.Is(err, s), code == other; got != want {
				t.Errorf("errors.Is(%s error, Err for %s) = %v, want %v", other, code, got, want)
			}
		}
		if CodeOf(s) != code {
			t.Errorf("CodeOf(sentinel for %s) = %s", code, CodeOf(s))
		}
	}
}

func TestUnwrapKeepsCause(t *testing.T) {
	e := Internal(fmt.Errorf("query: %w", os.ErrNotExist))
	if !errors.Is(e, os.ErrNotExist) {
		t.Error("errors.Is does not reach the cause")
	}
	var pe *json.SyntaxError
	if errors.As(e, &pe) {
		t.Error("errors.As found a type that is not in the chain")
	}
}

type asMethodError struct{ target *Error }

func (a asMethodError) Error() string { return "custom" }
func (a asMethodError) As(v any) bool {
	if p, ok := v.(**Error); ok {
		*p = a.target
		return true
	}
	return false
}

func TestCodeOf(t *testing.T) {
	rl := RateLimited(time.Second)
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), CodeInternal},
		{"deadline", context.DeadlineExceeded, CodeTimeout},
		{"wrapped deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), CodeTimeout},
		{"canceled", fmt.Errorf("call: %w", context.Canceled), CodeCanceled},
		{"three deep", fmt.Errorf("a: %w", fmt.Errorf("b: %w", fmt.Errorf("c: %w", rl))), CodeRateLimited},
		{"join first wins", errors.Join(errors.New("x"), NotFound("a", "b"), rl), CodeNotFound},
		{"error beats context", errors.Join(context.Canceled, rl), CodeRateLimited},
		{"context in join", errors.Join(errors.New("x"), context.DeadlineExceeded), CodeTimeout},
		{"nested joins", errors.Join(errors.Join(errors.New("x")), fmt.Errorf("w: %w", errors.Join(rl))), CodeRateLimited},
		{"error wrapping context", Timeout(context.Canceled), CodeTimeout},
		{"As method", asMethodError{rl}, CodeRateLimited},
		{"As method wrapped", fmt.Errorf("w: %w", asMethodError{rl}), CodeRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CodeOf(tt.err); got != tt.want {
				t.Errorf("CodeOf(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	e := UpstreamFailure("billing.internal", 503, errors.New("connection refused"))
	log.Error("call failed", "error", e)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line is not JSON: %v: %s", err, buf.Bytes())
	}
	got, ok := line["error"].(map[string]any)
	if !ok {
		t.Fatalf("error attr is %T, want a group: %s", line["error"], buf.Bytes())
	}
	want := map[string]any{
		"code": "UPSTREAM_FAILURE", "message": "a dependency failed", "service": "billing.internal",
		"upstream_status": float64(503), "cause": "connection refused",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("error.%s = %v, want %v", k, got[k], v)
		}
	}

	buf.Reset()
	v := Validation(Violation{Pointer: "/name", Rule: "required"})
	v.After = time.Second
	log.Info("bad", "error", v)
	if !strings.Contains(buf.String(), `"violations":["/name required"]`) {
		t.Errorf("log line = %s", buf.String())
	}
}

func TestLogValueOmitsUnset(t *testing.T) {
	v := NotFound("project", "1").LogValue()
	for _, a := range v.Group() {
		if a.Value.String() == "" {
			t.Errorf("attr %s is empty; unset details must be omitted", a.Key)
		}
	}
}

// An http.Client timeout matches context.DeadlineExceeded through an Is
// method, not by identity; CodeOf must still call it a timeout.
func TestCodeOfHTTPClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	client := &http.Client{Timeout: 20 * time.Millisecond}
	resp, err := client.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("Get succeeded against a server that never answers")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the client's error %v does not match context.DeadlineExceeded", err)
	}
	if got := CodeOf(err); got != CodeTimeout {
		t.Errorf("CodeOf(%v) = %s, want TIMEOUT", err, got)
	}
	client.CloseIdleConnections()
}

type isCanceled struct{}

func (isCanceled) Error() string        { return "stopped" }
func (isCanceled) Is(target error) bool { return target == context.Canceled }

func TestCodeOfIsMethod(t *testing.T) {
	if got := CodeOf(fmt.Errorf("w: %w", isCanceled{})); got != CodeCanceled {
		t.Errorf("CodeOf = %s, want CANCELED", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = CodeOf(isCanceled{}) }); n != 0 {
		t.Errorf("CodeOf through an Is method allocates %v times, want 0", n)
	}
	wrapped := fmt.Errorf("a: %w", fmt.Errorf("b: %w", NotFound("x", "1")))
	if n := testing.AllocsPerRun(100, func() { _ = CodeOf(wrapped) }); n != 0 {
		t.Errorf("CodeOf of a wrapped *Error allocates %v times, want 0", n)
	}
}

// A nil *Error returned as an error is a caller's bug; it must not make
// errors.Is, errors.As or CodeOf panic, nor WriteProblem write anything but
// an INTERNAL problem.
func TestNilError(t *testing.T) {
	var nilErr *Error
	var other *otherError
	tests := []struct {
		name string
		f    func() any
		want any
	}{
		{"errors.Is(NotFound, nil *Error)", func() any { return errors.Is(NotFound("a", "1"), nilErr) }, false},
		{"errors.Is(nil *Error, ErrNotFound)", func() any { return errors.Is(nilErr, ErrNotFound) }, false},
		{"errors.Is(nil *Error, ErrInternal)", func() any { return errors.Is(nilErr, ErrInternal) }, false},
		{"errors.Is(wrapped nil *Error, context.Canceled)", func() any { return errors.Is(fmt.Errorf("w: %w", nilErr), context.Canceled) }, false},
		{"errors.As(wrapped nil *Error, other type)", func() any { return errors.As(fmt.Errorf("w: %w", nilErr), &other) }, false},
		{"CodeOf(nil *Error)", func() any { return CodeOf(nilErr) }, CodeInternal},
		{"CodeOf(wrapped nil *Error)", func() any { return CodeOf(fmt.Errorf("w: %w", nilErr)) }, CodeInternal},
		{"CodeOf(join nil *Error, NotFound)", func() any { return CodeOf(errors.Join(nilErr, NotFound("a", "1"))) }, CodeInternal},
		{"CodeOf(join nil *Error, context.Canceled)", func() any { return CodeOf(errors.Join(nilErr, context.Canceled)) }, CodeInternal},
		{"errors.Is(join nil *Error, NotFound)", func() any { return errors.Is(errors.Join(nilErr, NotFound("a", "1")), ErrNotFound) }, true},
		{"Unwrap", func() any { return nilErr.Unwrap() == nil }, true},
		{"HTTPStatus", func() any { return nilErr.HTTPStatus() }, 500},
		{"Retryable", func() any { return nilErr.Retryable() }, false},
		{"fmt", func() any { return fmt.Sprintf("%v", error(nilErr)) }, "<nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if v := recover(); v != nil {
					t.Fatalf("panic: %v", v)
				}
			}()
			if got := tt.f(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

type otherError struct{}

func (*otherError) Error() string { return "other" }

// A handler that returns a nil *Error gets a 500 INTERNAL problem.
func TestWriteProblemNilError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteProblem(rec, nil, fmt.Errorf("w: %w", (*Error)(nil)))
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != 500 || p.Code != CodeInternal {
		t.Errorf("got %d %+v (%v), want a 500 INTERNAL problem", rec.Code, p, err)
	}
}
