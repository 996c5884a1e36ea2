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

// Repository stores projects. Implementations must be safe for concurrent
// use and must make Create's checks and insert one atomic step, so that two
// requests racing for the same slug or the owner's last free project cannot
// both win.
//
// The in-memory store is the embedded default; a database-backed one
// implements the same methods (PingContext is *sql.DB's own).
type Repository interface {
	// Create stores p with a new ID and creation time and returns it. It
	// fails with errSlugTaken if another project has p.Slug, and with
	// errQuotaExceeded if p.Owner already has maxPerOwner projects.
	Create(ctx context.Context, p Project, maxPerOwner int) (Project, error)
	// Get returns the project with the given ID, or errProjectNotFound.
	Get(ctx context.Context, id string) (Project, error)
	// List returns up to limit projects in creation order, starting after
	// the project with ID after ("" for the first page), and whether more
	// follow.
	List(ctx context.Context, after string, limit int) (page []Project, more bool, err error)
	// PingContext reports whether the store can serve, for readiness.
	PingContext(ctx context.Context) error
}

// memRepo is an in-memory Repository. Its zero value is not usable; use
// newMemRepo. It is safe for concurrent use.
type memRepo struct {
	now func() time.Time

	mu      sync.RWMutex
	byID    map[string]Project
	ids     []string // sorted; UUIDv7s sort by creation time
	bySlug  map[string]string
	byOwner map[string]int // number of projects
}

var _ Repository = (*memRepo)(nil)

func newMemRepo() *memRepo {
	return &memRepo{
		now:     time.Now,
		byID:    make(map[string]Project),
		bySlug:  make(map[string]string),
		byOwner: make(map[string]int),
	}
}

// Create implements Repository.
func (m *memRepo) Create(ctx context.Context, p Project, maxPerOwner int) (Project, error) {
	if err := ctx.Err(); err != nil {
		return Project{}, err
	}
	owner := strings.ToLower(p.Owner)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.bySlug[p.Slug]; ok {
		return Project{}, errSlugTaken
	}
	if m.byOwner[owner] >= maxPerOwner {
		return Project{}, errQuotaExceeded
	}
	// Made under the lock, so IDs are appended in order and a page that
	// has been read never gains an earlier project.
	id, err := uuid.NewV7()
	if err != nil {
		return Project{}, fmt.Errorf("new project id: %w", err)
	}
	p.ID = id.String()
	p.CreatedAt = m.now().UTC()
	i, _ := slices.BinarySearch(m.ids, p.ID)
	m.ids = slices.Insert(m.ids, i, p.ID)
	m.byID[p.ID] = p
	m.bySlug[p.Slug] = p.ID
	m.byOwner[owner]++
	return p, nil
}

// Get implements Repository.
func (m *memRepo) Get(ctx context.Context, id string) (Project, error) {
	if err := ctx.Err(); err != nil {
		return Project{}, err
	}
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
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	start := 0
	if after != "" {
		// The first ID greater than after: a cursor stays valid even if
		// its project is gone.
		i, found := slices.BinarySearch(m.ids, after)
		if found {
			i++
		}
		start = i
	}
	end := min(start+limit, len(m.ids))
	page := make([]Project, 0, end-start)
	for _, id := range m.ids[start:end] {
		page = append(page, m.byID[id])
	}
	return page, end < len(m.ids), nil
}

// PingContext always succeeds while ctx lasts: memory does not go away.
// A database's PingContext would make a round trip.
func (m *memRepo) PingContext(ctx context.Context) error {
	return ctx.Err()
}
