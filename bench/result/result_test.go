package resultbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/hardenkit/harden/result"
)

var sinkCode result.Code

// wrap3 wraps err three times with %w, as a repository, a service and a
// handler each add their context.
func wrap3(err error) error {
	return fmt.Errorf("handler: %w", fmt.Errorf("service: load project: %w", fmt.Errorf("repo: query: %w", err)))
}

// codeByHand is CodeOf written by hand: errors.As for the error type, then
// the two context errors, then a default.
func codeByHand(err error) result.Code {
	if err == nil {
		return ""
	}
	var e *result.Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return result.CodeTimeout
	case errors.Is(err, context.Canceled):
		return result.CodeCanceled
	}
	return result.CodeInternal
}

// codeByAsType is codeByHand with Go 1.26's generic errors.AsType, which
// needs no pointer variable and no reflection.
func codeByAsType(err error) result.Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*result.Error](err); ok {
		return e.Code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return result.CodeTimeout
	case errors.Is(err, context.Canceled):
		return result.CodeCanceled
	}
	return result.CodeInternal
}

// BenchmarkCodeOf measures finding the code of a NOT_FOUND *result.Error
// under three %w wrappings.
func BenchmarkCodeOf(b *testing.B) {
	runCode(b, wrap3(result.NotFound("project", "42")), result.CodeNotFound)
}

// BenchmarkCodeOfPlain measures the same on a chain with no *result.Error
// in it (a plain error three deep): the whole chain is searched, then the
// context errors, before INTERNAL.
func BenchmarkCodeOfPlain(b *testing.B) {
	runCode(b, wrap3(errors.New("connection reset")), result.CodeInternal)
}

func runCode(b *testing.B, err error, want result.Code) {
	for _, c := range []struct {
		name string
		code func(error) result.Code
	}{{"harden", result.CodeOf}, {"errors-as", codeByHand}, {"errors-astype", codeByAsType}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkCode = c.code(err)
			}
			if sinkCode != want {
				b.Fatalf("got %s, want %s", sinkCode, want)
			}
		})
	}
}

// notFoundError is the error type a service without harden defines.
type notFoundError struct{ resource, id string }

func (e *notFoundError) Error() string { return e.resource + " " + e.id + " not found" }

// problem is a hand-written RFC 9457 body with the members WriteProblem
// writes for a NOT_FOUND error.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code"`
	RequestID string `json:"request_id,omitempty"`
	Resource  string `json:"resource,omitempty"`
	ID        string `json:"id,omitempty"`
}

// writeByHand writes err as a problem the way a service does without
// harden: find its own error type, fill the body, marshal it, set the
// headers WriteProblem sets and write.
func writeByHand(w http.ResponseWriter, r *http.Request, err error) {
	p := problem{Type: "about:blank", Title: "Internal error", Status: http.StatusInternalServerError, Code: "INTERNAL"}
	var nf *notFoundError
	if errors.As(err, &nf) {
		p = problem{Type: "tag:example.com,2026:problem/not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: nf.resource + " not found", Code: "NOT_FOUND", Resource: nf.resource, ID: nf.id}
	}
	p.Instance = r.URL.Path
	h := w.Header()
	p.RequestID = h.Get("X-Request-ID")
	body, _ := json.Marshal(p)
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// discard is a ResponseWriter that keeps the status, the header and the
// body length, so the benchmark measures the writers rather than a
// recorder.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.status = code }

// BenchmarkWriteProblem measures writing a 404 problem for a NOT_FOUND
// error wrapped three times, with a request ID on the response, as the
// middleware leaves it.
func BenchmarkWriteProblem(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/projects/42", nil)
	for _, c := range []struct {
		name  string
		err   error
		write func(http.ResponseWriter, *http.Request, error)
	}{
		{"harden", wrap3(result.NotFound("project", "42")), result.WriteProblem},
		{"by-hand", wrap3(&notFoundError{"project", "42"}), writeByHand},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.h.Set("X-Request-ID", "0190c5a8-7bde-7d38-a2b5-1f1f0e1f9a11")
				w.n = 0
				c.write(w, req, c.err)
			}
			if w.status != http.StatusNotFound || w.n == 0 {
				b.Fatalf("status %d, %d bytes", w.status, w.n)
			}
		})
	}
}
