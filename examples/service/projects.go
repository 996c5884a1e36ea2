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

// defaultPageSize is the page size of GET /projects without a limit; the
// largest is in listQuery's tag.
const defaultPageSize = 20

// maxCreateBody is the largest POST /projects body: a project is a few
// hundred bytes, so 16 KiB is generous, and far below validate's 1 MiB
// default.
const maxCreateBody = 16 << 10

// projectsAPI serves /projects. Its handlers return errors instead of
// writing them: result.HandlerFunc turns each into an RFC 9457 problem.
type projectsAPI struct {
	repo   Repository
	quotas *quotaClient
	decode validate.DecodeOptions
	rules  *validate.Validator
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
	return &projectsAPI{
		repo:   repo,
		quotas: quotas,
		decode: validate.DecodeOptions{MaxBytes: maxCreateBody, Validator: v},
		rules:  v,
	}, nil
}

// routes registers the API's routes on mux.
func (a *projectsAPI) routes(mux *http.ServeMux) {
	mux.Handle("POST /projects", result.HandlerFunc(a.create))
	mux.Handle("GET /projects", result.HandlerFunc(a.list))
	mux.Handle("GET /projects/{id}", result.HandlerFunc(a.get))
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
	p, err := a.repo.Create(r.Context(), Project{
		Name:   req.Name,
		Slug:   req.Slug,
		Owner:  req.Owner,
		Status: req.Status,
	}, limit)
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
	Items []Project `json:"items"`
	// NextCursor fetches the next page: GET /projects?cursor=…. It is
	// absent on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// listQuery holds GET /projects's query parameters after parsing; its tags
// check their ranges with the same rules and messages as request bodies.
type listQuery struct {
	Limit int `json:"limit" validate:"min=1,max=100"`
	after string
}

// list handles GET /projects?limit=20&cursor=….
func (a *projectsAPI) list(w http.ResponseWriter, r *http.Request) error {
	q, err := a.parseListQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	items, more, err := a.repo.List(r.Context(), q.after, q.Limit)
	if err != nil {
		return result.Internal(fmt.Errorf("list projects: %w", err))
	}
	page := projectPage{Items: items}
	if more && len(items) > 0 {
		page.NextCursor = encodeCursor(items[len(items)-1].ID)
	}
	return writeJSON(w, http.StatusOK, page)
}

// parseListQuery reads limit and cursor. Every problem, including parameters
// the API does not know (a misspelt "limt" would otherwise be ignored
// silently) and a malformed query string, is a violation. Violations name
// a query parameter the way body violations name a member: "/limit".
func (a *projectsAPI) parseListQuery(rawQuery string) (listQuery, error) {
	q := listQuery{Limit: defaultPageSize}
	var vs []result.Violation
	// r.URL.Query() would drop a malformed pair ("cursor=%zz") without a
	// word, and the client would get the first page instead of an error.
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		vs = append(vs, result.Violation{Pointer: "", Rule: "syntax", Message: "the query string is malformed"})
	}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if len(vs) >= validate.MaxViolations {
			break // a query of ten thousand junk parameters gets a short answer
		}
		ptr := "/" + pointerEscaper.Replace(name)
		if len(ptr) > 64 {
			ptr = ptr[:64] // the name is the client's; no need to echo all of it
		}
		if name != "limit" && name != "cursor" {
			vs = append(vs, result.Violation{Pointer: ptr, Rule: "unknown", Message: "is not an allowed parameter"})
			continue
		}
		if len(values[name]) > 1 {
			vs = append(vs, result.Violation{Pointer: ptr, Rule: "single", Message: "must be given once"})
		}
	}
	if s := values.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			vs = append(vs, result.Violation{Pointer: "/limit", Rule: "type", Message: "must be an integer"})
		} else if err := a.rules.Struct(listQuery{Limit: n}); err != nil {
			e := result.As(err)
			if e == nil {
				return q, err // a bug in the tag, not bad input
			}
			vs = append(vs, e.Violations...)
		} else {
			q.Limit = n
		}
	}
	if s := values.Get("cursor"); s != "" {
		after, ok := decodeCursor(s)
		if !ok {
			vs = append(vs, result.Violation{Pointer: "/cursor", Rule: "format", Message: "must be a next_cursor from a previous page"})
		}
		q.after = after
	}
	if len(vs) > 0 {
		return q, result.Validation(vs...)
	}
	return q, nil
}

// pointerEscaper escapes a name as a JSON Pointer token (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// Cursors are opaque to clients, so the API can change what they hold: today
// the ID of the last project of the page, versioned and base64url-encoded.
const cursorPrefix = "v1:"

func encodeCursor(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + lastID))
}

func decodeCursor(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", false
	}
	id, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return "", false
	}
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return "", false
	}
	return id, true
}

// writeJSON writes v as a JSON response. It encodes before writing anything,
// so an encoding failure is still an error the caller can turn into a
// problem; a failure to write, once the response has started, means the
// client went away and there is no one left to tell.
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
