package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/google/uuid"

	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/validate"
)

// createProjectRequest is the body of POST /projects. The validate tags are
// the API's contract: every broken rule comes back to the client as one
// VALIDATION problem, each violation at its JSON Pointer.
type createProjectRequest struct {
	Name   string `json:"name" validate:"required,min=3,max=64"`
	Slug   string `json:"slug" validate:"required,min=3,max=40,slug"`
	Owner  string `json:"owner" validate:"required,max=254,email"`
	Status string `json:"status" validate:"omitempty,oneof=draft active"`
}

const (
	defaultPageSize = 20 // GET /projects without a limit
	maxPageSize     = 100
	maxCreateBody   = 16 << 10 // a project is a few hundred bytes; validate's default is 1 MiB
)

// projectsAPI serves /projects. Its handlers return errors instead of
// writing them: result.HandlerFunc turns each into an RFC 9457 problem.
type projectsAPI struct {
	repo   Repository
	quotas *quotaClient
	decode validate.DecodeOptions
}

// slugPattern is lowercase words joined by single hyphens: "apollo-11".
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

func newProjectsAPI(repo Repository, quotas *quotaClient) (*projectsAPI, error) {
	// A Validator of our own for the custom "slug" rule; validate's default
	// one cannot be changed, by design.
	v := validate.New(nil)
	err := v.RegisterRule("slug", func(fl validator.FieldLevel) bool {
		return slugPattern.MatchString(fl.Field().String())
	}, validate.Message("must be lowercase letters and digits in words joined by single hyphens, such as apollo-11"))
	if err != nil {
		return nil, err
	}
	return &projectsAPI{repo: repo, quotas: quotas, decode: validate.DecodeOptions{MaxBytes: maxCreateBody, Validator: v}}, nil
}

// create handles POST /projects: decode and validate the body, ask the quota
// service how many projects the owner may have, then store the project.
func (a *projectsAPI) create(w http.ResponseWriter, r *http.Request) error {
	req, err := validate.DecodeJSON[createProjectRequest](w, r, &a.decode)
	if err != nil {
		return err // 400, 413 or 415, with every violation
	}
	if req.Status == "" {
		req.Status = "draft"
	}
	limit, err := a.quotas.MaxProjects(r.Context(), req.Owner)
	if err != nil {
		return err // already a *result.Error: 503 with Retry-After, 504, 502 …
	}
	p, err := a.repo.Create(r.Context(), Project{Name: req.Name, Slug: req.Slug, Owner: req.Owner, Status: req.Status}, limit)
	switch {
	case errors.Is(err, errSlugTaken):
		return result.Conflict("project", "", "slug_taken").
			WithMessage(fmt.Sprintf("the slug %q is used by another project", req.Slug))
	case errors.Is(err, errQuotaExceeded):
		return result.Conflict("project", "", "quota_exceeded").
			WithMessage(fmt.Sprintf("the owner already has %d projects, the most their quota allows", limit))
	case err != nil:
		return result.Internal(fmt.Errorf("create project %q: %w", req.Slug, err))
	}
	w.Header().Set("Location", "/projects/"+p.ID)
	return writeJSON(w, http.StatusCreated, p)
}

// get handles GET /projects/{id}.
func (a *projectsAPI) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	p, err := a.repo.Get(r.Context(), id)
	switch {
	case errors.Is(err, errProjectNotFound):
		if len(id) > 64 {
			id = "" // no use echoing a kilobyte of path back
		}
		return result.NotFound("project", id)
	case err != nil:
		return result.Internal(fmt.Errorf("get project %q: %w", id, err))
	}
	return writeJSON(w, http.StatusOK, p)
}

// projectPage is the body of GET /projects.
type projectPage struct {
	Items      []Project `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"` // absent on the last page
}

// list handles GET /projects?limit=20&cursor=….
func (a *projectsAPI) list(w http.ResponseWriter, r *http.Request) error {
	limit, after, err := parseListQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	items, more, err := a.repo.List(r.Context(), after, limit)
	if err != nil {
		return result.Internal(fmt.Errorf("list projects: %w", err))
	}
	page := projectPage{Items: items}
	if more && len(items) > 0 {
		page.NextCursor = encodeCursor(items[len(items)-1].ID)
	}
	return writeJSON(w, http.StatusOK, page)
}

// parseListQuery reads limit and cursor. Every problem is a violation named
// like a body member ("/limit"): a malformed query string, a parameter the
// API does not know (a misspelt "limt" would otherwise be ignored), one given
// twice, and a bad value.
func parseListQuery(rawQuery string) (limit int, after string, err error) {
	var vs []result.Violation
	add := func(ptr, rule, msg string) { vs = append(vs, result.Violation{Pointer: ptr, Rule: rule, Message: msg}) }
	// r.URL.Query() would drop a malformed pair ("cursor=%zz") silently, and
	// the client would get the first page instead of an error.
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		add("", "syntax", "the query string is malformed")
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		ptr := "/" + pointerEscaper.Replace(name)
		ptr = ptr[:min(len(ptr), 64)] // the name is the client's: no need to echo all of it
		switch {
		case len(vs) >= validate.MaxViolations: // a short answer to ten thousand junk parameters
		case name != "limit" && name != "cursor":
			add(ptr, "unknown", "is not an allowed parameter")
		case len(values[name]) > 1:
			add(ptr, "single", "must be given once")
		}
	}
	limit = defaultPageSize
	if s := values.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			add("/limit", "type", "must be an integer")
		case n < 1:
			add("/limit", "min", "must be at least 1")
		case n > maxPageSize:
			add("/limit", "max", fmt.Sprintf("must be at most %d", maxPageSize))
		default:
			limit = n
		}
	}
	if s := values.Get("cursor"); s != "" {
		var ok bool
		if after, ok = decodeCursor(s); !ok {
			add("/cursor", "format", "must be a next_cursor from a previous page")
		}
	}
	if len(vs) > 0 {
		return 0, "", result.Validation(vs...)
	}
	return limit, after, nil
}

// pointerEscaper escapes a name as a JSON Pointer token (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// Cursors are opaque to clients, so the API may change what they hold: here
// the last ID of the page, versioned and base64url-encoded.
func encodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + lastID))
}

func decodeCursor(s string) (string, bool) {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	id, ok := strings.CutPrefix(string(b), "v1:")
	u, err := uuid.Parse(id)
	return id, ok && err == nil && u.String() == id
}

// writeJSON writes v as a JSON response. It encodes before writing anything,
// so an encoding failure can still become a problem.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return result.Internal(fmt.Errorf("encode response: %w", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}
