package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Project is the service's one resource.
type Project struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	Owner     string    `json:"owner"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// The repository's errors. Handlers turn them into result errors: the
// repository knows storage, not HTTP.
var (
	errProjectNotFound = errors.New("project not found")
	errSlugTaken       = errors.New("slug taken")
	errQuotaExceeded   = errors.New("owner quota exceeded")
)

// Repository stores projects; a database implements the same methods
// (PingContext is *sql.DB's own). It is safe for concurrent use, and Create's
// checks and insert are one atomic step, so two requests racing for a slug or
// for the owner's last free project cannot both win.
type Repository interface {
	// Create stores p with a new ID and creation time. It fails with
	// errSlugTaken or, if p.Owner has maxPerOwner projects, errQuotaExceeded.
	Create(ctx context.Context, p Project, maxPerOwner int) (Project, error)
	Get(ctx context.Context, id string) (Project, error) // or errProjectNotFound
	// List returns up to limit projects in creation order after the one with
	// ID after ("" for the first page), and whether more follow.
	List(ctx context.Context, after string, limit int) (page []Project, more bool, err error)
	PingContext(ctx context.Context) error // for readiness
}

// memRepo is the in-memory Repository; make one with newMemRepo.
type memRepo struct {
	mu      sync.RWMutex
	byID    map[string]Project
	ids     []string // sorted; UUIDv7s sort by creation time
	bySlug  map[string]string
	byOwner map[string]int // number of projects
}

func newMemRepo() *memRepo {
	return &memRepo{byID: map[string]Project{}, bySlug: map[string]string{}, byOwner: map[string]int{}}
}

// Create implements Repository.
func (m *memRepo) Create(ctx context.Context, p Project, maxPerOwner int) (Project, error) {
	owner := strings.ToLower(p.Owner)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.bySlug[p.Slug]; ok {
		return Project{}, errSlugTaken
	}
	if m.byOwner[owner] >= maxPerOwner {
		return Project{}, errQuotaExceeded
	}
	// Made under the lock, so a page that has been read never gains an
	// earlier project.
	id, err := uuid.NewV7()
	if err != nil {
		return Project{}, fmt.Errorf("new project id: %w", err)
	}
	p.ID, p.CreatedAt = id.String(), time.Now().UTC()
	m.ids = append(m.ids, p.ID) // in order: made under the lock
	m.byID[p.ID] = p
	m.bySlug[p.Slug] = p.ID
	m.byOwner[owner]++
	return p, nil
}

// Get implements Repository.
func (m *memRepo) Get(ctx context.Context, id string) (Project, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.byID[id]
	if !ok {
		return Project{}, errProjectNotFound
	}
	return p, nil
}

// List implements Repository.
func (m *memRepo) List(ctx context.Context, after string, limit int) ([]Project, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	// The first ID greater than after: a cursor stays valid even if its
	// project is gone. ("" sorts first.)
	start, found := slices.BinarySearch(m.ids, after)
	if found {
		start++
	}
	end := min(start+limit, len(m.ids))
	page := make([]Project, 0, end-start)
	for _, id := range m.ids[start:end] {
		page = append(page, m.byID[id])
	}
	return page, end < len(m.ids), nil
}

// PingContext succeeds while ctx lasts; a database's would make a round trip.
func (m *memRepo) PingContext(ctx context.Context) error { return ctx.Err() }
