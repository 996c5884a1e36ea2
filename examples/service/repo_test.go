package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestMemRepoCreateGet(t *testing.T) {
	ctx := t.Context()
	r := newMemRepo()
	p, err := r.Create(ctx, Project{Name: "Apollo", Slug: "apollo", Owner: "ada@example.com", Status: "draft"}, 5)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if p.ID == "" || p.CreatedAt.IsZero() {
		t.Errorf("Create did not assign an ID and a creation time: %+v", p)
	}
	got, err := r.Get(ctx, p.ID)
	if err != nil || got != p {
		t.Errorf("Get(%s) = %+v, %v; want %+v", p.ID, got, err, p)
	}
	if _, err := r.Get(ctx, "nope"); !errors.Is(err, errProjectNotFound) {
		t.Errorf("Get(nope) error = %v, want errProjectNotFound", err)
	}
	if _, err := r.Create(ctx, Project{Slug: "apollo", Owner: "bob@example.com"}, 5); !errors.Is(err, errSlugTaken) {
		t.Errorf("second apollo: error = %v, want errSlugTaken", err)
	}
	if _, err := r.Create(ctx, Project{Slug: "zero", Owner: "bob@example.com"}, 0); !errors.Is(err, errQuotaExceeded) {
		t.Errorf("quota 0: error = %v, want errQuotaExceeded", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.PingContext(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("PingContext on a cancelled context: error = %v, want context.Canceled", err)
	}
	if err := r.PingContext(ctx); err != nil {
		t.Errorf("PingContext: %v", err)
	}
}

// TestMemRepoCreateIsAtomic races many creates for one slug and for one
// owner's quota: a check-then-insert done in two steps would let several win.
func TestMemRepoCreateIsAtomic(t *testing.T) {
	ctx := t.Context()
	r := newMemRepo()
	const n = 64
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = r.Create(ctx, Project{Slug: "same", Owner: fmt.Sprintf("u%d@example.com", i)}, 5)
		})
	}
	wg.Wait()
	if won := n - countErrs(errs, errSlugTaken); won != 1 {
		t.Errorf("%d creates of one slug succeeded, want 1 (errors: %v)", won, errs)
	}

	// The owner's address is compared without case.
	for i := range n {
		wg.Go(func() {
			owner := "ada@example.com"
			if i%2 == 0 {
				owner = "Ada@Example.com"
			}
			_, errs[i] = r.Create(ctx, Project{Slug: fmt.Sprintf("s%d", i), Owner: owner}, 5)
		})
	}
	wg.Wait()
	if won := n - countErrs(errs, errQuotaExceeded); won != 5 {
		t.Errorf("%d creates within a quota of 5 succeeded, want 5", won)
	}
}

func countErrs(errs []error, target error) int {
	n := 0
	for _, err := range errs {
		if errors.Is(err, target) {
			n++
		}
	}
	return n
}

func TestMemRepoList(t *testing.T) {
	ctx := t.Context()
	r := newMemRepo()
	var created []string
	for i := range 25 {
		p, err := r.Create(ctx, Project{Slug: fmt.Sprintf("p%d", i), Owner: "ada@example.com"}, 100)
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, p.ID)
	}

	var seen []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		page, more, err := r.List(ctx, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(10, 25-len(seen)); len(page) != want {
			t.Fatalf("page %d has %d projects, want %d", pages, len(page), want)
		}
		for _, p := range page {
			seen = append(seen, p.ID)
		}
		if !more {
			break
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(seen, created) {
		t.Errorf("pages gave\n%v\nwant every project once, in creation order\n%v", seen, created)
	}

	// A cursor stays valid when its project is not there (a deleted one).
	missing := created[4][:len(created[4])-1] + "~" // sorts just after created[4]
	page, _, err := r.List(ctx, missing, 2)
	if err != nil || len(page) != 2 || page[0].ID != created[5] {
		t.Errorf("List after an unknown ID = %v, %v; want it to start at %s", page, err, created[5])
	}
	page, more, err := r.List(ctx, created[24], 10)
	if err != nil || len(page) != 0 || more {
		t.Errorf("List after the last = %v, %v, %v; want an empty last page", page, more, err)
	}
}
