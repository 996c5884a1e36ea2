package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hardenkit/harden/health"
	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/validate"
)

// newTestHandler returns the service's handler over an empty repository and
// a stand-in quota service failing the given share of calls.
func newTestHandler(t *testing.T, failureRate float64, debugRoutes bool) (http.Handler, *memRepo) {
	t.Helper()
	standIn := httptest.NewServer(standInHandler(failureRate, discard))
	t.Cleanup(standIn.Close)
	quotas := newQuotaClient(standIn.URL, 5*time.Second, discard)
	t.Cleanup(quotas.CloseIdleConnections)
	repo := newMemRepo()
	api, err := newProjectsAPI(repo, quotas)
	if err != nil {
		t.Fatal(err)
	}
	checker := health.New(&health.Options{Logger: discard})
	t.Cleanup(checker.Close)
	return newHandler(api, checker, debugRoutes, discard), repo
}

// do serves one request and returns the response.
func do(h http.Handler, method, target, contentType, body string) *http.Response {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// problemOf decodes a problem response, failing the test if it is not one.
func problemOf(t *testing.T, resp *http.Response, wantStatus int) result.Problem {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != result.ContentTypeProblem {
		t.Fatalf("Content-Type %q, want %s; body %s", ct, result.ContentTypeProblem, body)
	}
	var p result.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %s: %v", body, err)
	}
	if p.Status != wantStatus {
		t.Errorf("problem status %d, want %d", p.Status, wantStatus)
	}
	if id := resp.Header.Get("X-Request-ID"); id == "" || p.RequestID != id {
		t.Errorf("problem request_id %q, X-Request-ID header %q; want the same, not empty", p.RequestID, id)
	}
	return p
}

// pointers returns the pointer and rule of each violation, sorted.
func pointers(p result.Problem) []string {
	var out []string
	for _, v := range p.Errors {
		out = append(out, v.Pointer+" "+v.Rule)
	}
	slices.Sort(out)
	return out
}

const validBody = `{"name": "Apollo", "slug": "apollo", "owner": "ada@example.com"}`

func TestCreateProject(t *testing.T) {
	h, repo := newTestHandler(t, 0, false)
	resp := do(h, "POST", "/projects", "application/json", validBody)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", resp.StatusCode)
	}
	var p Project
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if got, want := resp.Header.Get("Location"), "/projects/"+p.ID; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	if p.Name != "Apollo" || p.Slug != "apollo" || p.Owner != "ada@example.com" || p.Status != "draft" {
		t.Errorf("created %+v; want the request's fields and status draft", p)
	}
	if stored, err := repo.Get(t.Context(), p.ID); err != nil || stored != p {
		t.Errorf("stored %+v, %v; want %+v", stored, err, p)
	}

	get := do(h, "GET", "/projects/"+p.ID, "", "")
	defer get.Body.Close()
	var got Project
	if err := json.NewDecoder(get.Body).Decode(&got); err != nil || get.StatusCode != 200 || got != p {
		t.Errorf("GET %s = %d %+v (%v); want 200 %+v", p.ID, get.StatusCode, got, err, p)
	}
}

func TestCreateProjectRejects(t *testing.T) {
	h, repo := newTestHandler(t, 0, false)
	tests := []struct {
		name, contentType, body string
		status                  int
		code                    result.Code
		violations              []string // pointer and rule
	}{
		{"every rule", "application/json", `{"name": "Ap", "slug": "Apollo 11", "owner": "ada@", "status": "done"}`,
			400, result.CodeValidation, []string{"/name min", "/owner email", "/slug slug", "/status oneof"}},
		{"missing members", "application/json", `{}`,
			400, result.CodeValidation, []string{"/name required", "/owner required", "/slug required"}},
		{"unknown member", "application/json", `{"name": "Apollo", "slug": "apollo", "owner": "ada@example.com", "colour": "red"}`,
			400, result.CodeValidation, []string{"/colour unknown"}},
		{"wrong type", "application/json", `{"name": 7, "slug": "apollo", "owner": "ada@example.com"}`,
			400, result.CodeValidation, []string{"/name type"}},
		{"slug with a double hyphen", "application/json", `{"name": "Apollo", "slug": "apollo--11", "owner": "ada@example.com"}`,
			400, result.CodeValidation, []string{"/slug slug"}},
		{"syntax", "application/json", `{"name": "Apollo",`, 400, result.CodeValidation, []string{" syntax"}},
		{"empty body", "application/json", ``, 400, result.CodeValidation, []string{" required"}},
		{"two values", "application/json", validBody + validBody, 400, result.CodeValidation, []string{" syntax"}},
		{"form", "application/x-www-form-urlencoded", `name=Apollo`, 415, result.CodeUnsupportedMediaType, nil},
		{"no content type", "", validBody, 415, result.CodeUnsupportedMediaType, nil},
		{"too large", "application/json", `{"name": "` + strings.Repeat("a", maxCreateBody) + `"}`,
			413, result.CodePayloadTooLarge, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := problemOf(t, do(h, "POST", "/projects", tt.contentType, tt.body), tt.status)
			if p.Code != tt.code {
				t.Errorf("code %s, want %s", p.Code, tt.code)
			}
			if got := pointers(p); !slices.Equal(got, tt.violations) {
				t.Errorf("violations %q, want %q", got, tt.violations)
			}
		})
	}
	if page, _, _ := repo.List(t.Context(), "", 10); len(page) != 0 {
		t.Errorf("rejected requests stored %d projects", len(page))
	}
}

func TestCreateProjectConflicts(t *testing.T) {
	h, _ := newTestHandler(t, 0, false)
	for i := range standInQuota {
		body := fmt.Sprintf(`{"name": "Project %d", "slug": "p-%d", "owner": "ada@example.com"}`, i, i)
		if resp := do(h, "POST", "/projects", "application/json", body); resp.StatusCode != 201 {
			t.Fatalf("create %d: status %d", i, resp.StatusCode)
		}
	}
	p := problemOf(t, do(h, "POST", "/projects", "application/json", `{"name": "Again", "slug": "p-0", "owner": "bob@example.com"}`), 409)
	if p.Code != result.CodeConflict || p.Reason != "slug_taken" || !strings.Contains(p.Detail, `"p-0"`) {
		t.Errorf("slug taken: %+v", p)
	}
	p = problemOf(t, do(h, "POST", "/projects", "application/json", `{"name": "One more", "slug": "p-99", "owner": "ADA@example.com"}`), 409)
	if p.Code != result.CodeConflict || p.Reason != "quota_exceeded" {
		t.Errorf("quota exceeded: %+v", p)
	}
}

// TestCreateProjectQuotaServiceDown checks that the dependency's failure
// reaches the client as a problem it can act on, and nothing is stored.
func TestCreateProjectQuotaServiceDown(t *testing.T) {
	h, repo := newTestHandler(t, 1, false)
	p := problemOf(t, do(h, "POST", "/projects", "application/json", validBody), 503)
	if p.Code != result.CodeUnavailable {
		t.Errorf("code %s, want UNAVAILABLE", p.Code)
	}
	if strings.Contains(p.Detail, "127.0.0.1") {
		t.Errorf("the problem names the dependency's address: %q", p.Detail)
	}
	if page, _, _ := repo.List(t.Context(), "", 10); len(page) != 0 {
		t.Errorf("a failed create stored %d projects", len(page))
	}
}

func TestGetProjectNotFound(t *testing.T) {
	h, _ := newTestHandler(t, 0, false)
	p := problemOf(t, do(h, "GET", "/projects/01a2019a-1342-7bb3-bbe2-01bb899d9225", "", ""), 404)
	if p.Code != result.CodeNotFound || p.Resource != "project" || p.ID != "01a2019a-1342-7bb3-bbe2-01bb899d9225" {
		t.Errorf("problem %+v; want NOT_FOUND for the project and its id", p)
	}
	p = problemOf(t, do(h, "GET", "/projects/"+strings.Repeat("x", 500), "", ""), 404)
	if p.ID != "" {
		t.Errorf("a 500-character id was echoed back: %d characters", len(p.ID))
	}
}

func TestListProjects(t *testing.T) {
	h, repo := newTestHandler(t, 0, false)
	var want []string
	for i := range 7 {
		p, err := repo.Create(t.Context(), Project{Slug: fmt.Sprintf("p-%d", i), Owner: "ada@example.com"}, 100)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p.ID)
	}

	var got []string
	target := "/projects?limit=3"
	for range 4 {
		resp := do(h, "GET", target, "", "")
		var page projectPage
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d, %v", target, resp.StatusCode, err)
		}
		resp.Body.Close()
		for _, p := range page.Items {
			got = append(got, p.ID)
		}
		if page.NextCursor == "" {
			break
		}
		target = "/projects?limit=3&cursor=" + page.NextCursor
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want every project once in order %v", got, want)
	}

	resp := do(h, "GET", "/projects", "", "")
	var page projectPage
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || len(page.Items) != 7 || page.NextCursor != "" {
		t.Errorf("default page: %d items, cursor %q, %v; want all 7 and no cursor", len(page.Items), page.NextCursor, err)
	}
	resp.Body.Close()
}

func TestListProjectsRejects(t *testing.T) {
	h, _ := newTestHandler(t, 0, false)
	notAUUID := base64.RawURLEncoding.EncodeToString([]byte("v1:42"))
	tests := []struct {
		query string
		want  []string
	}{
		{"limit=abc", []string{"/limit type"}},
		{"limit=0", []string{"/limit min"}},
		{"limit=101", []string{"/limit max"}},
		{"limit=1&limit=2", []string{"/limit single"}},
		{"cursor=%zz", []string{" syntax"}},
		{"cursor=%%%", []string{" syntax"}},
		{"cursor=" + notAUUID, []string{"/cursor format"}},
		{"limt=5", []string{"/limt unknown"}},
		{"limit=-1&cursor=x&offset=3", []string{"/cursor format", "/limit min", "/offset unknown"}},
		{"a~b/c=1", []string{"/a~0b~1c unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p := problemOf(t, do(h, "GET", "/projects?"+tt.query, "", ""), 400)
			if got := pointers(p); !slices.Equal(got, tt.want) {
				t.Errorf("violations %q, want %q", got, tt.want)
			}
		})
	}
}

func TestListProjectsBoundsItsAnswer(t *testing.T) {
	h, _ := newTestHandler(t, 0, false)
	var q []string
	for i := range 5000 {
		q = append(q, fmt.Sprintf("junk%04d%s=1", i, strings.Repeat("x", 100)))
	}
	p := problemOf(t, do(h, "GET", "/projects?"+strings.Join(q, "&"), "", ""), 400)
	if len(p.Errors) != validate.MaxViolations {
		t.Errorf("%d violations for 5000 unknown parameters, want %d", len(p.Errors), validate.MaxViolations)
	}
	for _, v := range p.Errors {
		if len(v.Pointer) > 64 {
			t.Errorf("pointer of %d bytes: %s", len(v.Pointer), v.Pointer)
		}
	}
}

func TestNoRoute(t *testing.T) {
	h, _ := newTestHandler(t, 0, false)
	p := problemOf(t, do(h, "GET", "/nowhere", "", ""), 404)
	if p.Code != result.CodeNotFound {
		t.Errorf("unknown path: code %s, want NOT_FOUND", p.Code)
	}
	for _, tt := range []struct{ method, path, allow string }{
		{"DELETE", "/projects", "GET, HEAD, POST"},
		{"POST", "/projects/123", "GET, HEAD"},
		{"PUT", "/livez", "GET, HEAD"},
	} {
		resp := do(h, tt.method, tt.path, "", "")
		if got := resp.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store like every problem", tt.method, tt.path, cc)
		}
		if p := problemOf(t, resp, 405); p.Code != "METHOD_NOT_ALLOWED" {
			t.Errorf("%s %s: problem %+v", tt.method, tt.path, p)
		}
	}
	// Debug routes are off unless asked for, and a probe has no sub-paths.
	problemOf(t, do(h, "GET", "/debug/panic", "", ""), 404)
	problemOf(t, do(h, "GET", "/readyz/nope", "", ""), 404)
}

// TestProbes checks that every probe the README names is served.
func TestProbes(t *testing.T) {
	h, _ := newTestHandler(t, 0, false)
	for _, path := range []string{"/livez", "/readyz", "/healthz", "/startupz"} {
		for _, method := range []string{"GET", "HEAD"} {
			resp := do(h, method, path, "", "")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/health+json" {
				t.Errorf("%s %s: %d %s; want 200 application/health+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		}
	}
}

func TestDebugRoutes(t *testing.T) {
	h, _ := newTestHandler(t, 0, true)
	for _, query := range []string{"", "for=soon", "for=-1s", "for=30s"} {
		p := problemOf(t, do(h, "GET", "/debug/slow?"+query, "", ""), 400)
		if got := pointers(p); !slices.Equal(got, []string{"/for duration"}) {
			t.Errorf("%s: violations %q, want /for duration", query, got)
		}
	}
	resp := do(h, "GET", "/debug/slow?for=1ms", "", "")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"slept":"1ms"`) {
		t.Errorf("slow: %d %s", resp.StatusCode, body)
	}

	p := problemOf(t, do(h, "GET", "/debug/panic", "", ""), 500)
	if p.Code != result.CodeInternal || strings.Contains(p.Detail, "panic") {
		t.Errorf("panic: problem %+v; want INTERNAL without the panic text", p)
	}
}

// TestLimitsAndBrowserProtections: POST /projects allows 30 requests a
// minute per client, then answers 429 problems with Retry-After; every answer
// says its policy; a browser's cross-origin write is refused with a 403
// problem; and every response carries the security headers.
func TestLimitsAndBrowserProtections(t *testing.T) {
	h, _ := newTestHandler(t, 0, false)
	for i := range 30 {
		resp := do(h, "POST", "/projects", "application/json", `{}`) // invalid, but counted
		problemOf(t, resp, http.StatusBadRequest)
		if got := resp.Header.Get("RateLimit-Policy"); got != `"create-project";q=30;w=60` {
			t.Fatalf("request %d: RateLimit-Policy %q", i+1, got)
		}
	}
	resp := do(h, "POST", "/projects", "application/json", `{}`)
	if p := problemOf(t, resp, http.StatusTooManyRequests); p.Code != result.CodeRateLimited {
		t.Errorf("code %q, want RATE_LIMITED", p.Code)
	}
	if resp.Header.Get("Retry-After") == "" || !strings.Contains(resp.Header.Get("RateLimit"), "r=0") {
		t.Errorf("Retry-After %q, RateLimit %q: want a delay and none remaining",
			resp.Header.Get("Retry-After"), resp.Header.Get("RateLimit"))
	}
	// Reads have a limit of their own, untouched by the writes.
	if resp := do(h, "GET", "/projects", "", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /projects after the writes' limit: status %d, want 200", resp.StatusCode)
	}

	r := httptest.NewRequest("POST", "/projects", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if p := problemOf(t, w.Result(), http.StatusForbidden); p.Code != result.CodeForbidden {
		t.Errorf("cross-origin POST: code %q, want FORBIDDEN", p.Code)
	}
	for _, name := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if w.Header().Get(name) == "" {
			t.Errorf("response lacks %s", name)
		}
	}
}
