package resultbench

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/hardenkit/harden/result"
)

// TestSameCode checks that the hand-written CodeOfs agree with CodeOf.
func TestSameCode(t *testing.T) {
	for _, err := range []error{
		nil, wrap3(result.NotFound("p", "1")), wrap3(errors.New("x")),
		wrap3(context.DeadlineExceeded), wrap3(context.Canceled), result.RateLimited(0),
	} {
		want := result.CodeOf(err)
		if got := codeByHand(err); got != want {
			t.Errorf("codeByHand(%v) = %s, CodeOf = %s", err, got, want)
		}
		if got := codeByAsType(err); got != want {
			t.Errorf("codeByAsType(%v) = %s, CodeOf = %s", err, got, want)
		}
	}
}

// TestSameProblem checks that the hand-written response has the status,
// the headers and the body members of WriteProblem's.
func TestSameProblem(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/projects/42", nil)
	write := func(f func(http.ResponseWriter, *http.Request, error), err error) (*httptest.ResponseRecorder, map[string]any) {
		rec := httptest.NewRecorder()
		rec.Header().Set("X-Request-ID", "req-1")
		f(rec, req, err)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		return rec, body
	}
	hr, hb := write(result.WriteProblem, wrap3(result.NotFound("project", "42")))
	br, bb := write(writeByHand, wrap3(&notFoundError{"project", "42"}))
	if hr.Code != 404 || br.Code != 404 {
		t.Errorf("status %d and %d, want 404", hr.Code, br.Code)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "X-Content-Type-Options", "X-Request-ID"} {
		if hr.Header().Get(h) == "" || (h != "Content-Length" && hr.Header().Get(h) != br.Header().Get(h)) {
			t.Errorf("%s: harden %q, by hand %q", h, hr.Header().Get(h), br.Header().Get(h))
		}
	}
	hk, bk := slices.Sorted(maps.Keys(hb)), slices.Sorted(maps.Keys(bb))
	if !slices.Equal(hk, bk) {
		t.Errorf("members: harden %v, by hand %v", hk, bk)
	}
	for _, k := range []string{"status", "detail", "instance", "code", "request_id", "resource", "id", "title"} {
		if hb[k] != bb[k] {
			t.Errorf("%s: harden %v, by hand %v", k, hb[k], bb[k])
		}
	}
}
