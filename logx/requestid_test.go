package logx

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

func TestNewRequestID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := NewRequestID()
		u, err := uuid.Parse(id)
		if err != nil {
			t.Fatalf("NewRequestID() = %q: %v", id, err)
		}
		if u.Version() != 7 {
			t.Fatalf("NewRequestID() = %q, version %d, want 7", id, u.Version())
		}
		if !ValidRequestID(id) || len(id) != 36 {
			t.Fatalf("NewRequestID() = %q is not a valid 36-character ID", id)
		}
		if seen[id] {
			t.Fatalf("NewRequestID() repeated %q", id)
		}
		if id <= prev {
			t.Fatalf("NewRequestID() = %q sorts before the previous %q", id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestNewRequestIDConcurrent(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		wg   sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for range 200 {
				id := NewRequestID()
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate %q", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestValidRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{"abc", true},
		{"0190a5c4-3b7e-7d4a-9f1e-2c6d8b5e4a10", true},
		{"A.b_c-9", true},
		{strings.Repeat("a", maxRequestIDLen), true},
		{"", false},
		{strings.Repeat("a", maxRequestIDLen+1), false},
		{strings.Repeat("a", 1<<20), false},
		{"abc\ndef", false},
		{"abc\r\nX-Injected: 1", false},
		{"abc def", false},
		{"abc\x00", false},
		{"abc\x7f", false},
		{"tab\there", false},
		{"ünïcode", false},
		{"id;drop", false},
		{"a/b", false},
		{"a\"b", false},
	}
	for _, tt := range tests {
		if got := ValidRequestID(tt.id); got != tt.want {
			t.Errorf("ValidRequestID(%.40q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestRequestIDContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if got := RequestID(ctx); got != "" {
		t.Errorf("RequestID(Background) = %q", got)
	}
	var nilCtx context.Context
	if got := RequestID(nilCtx); got != "" {
		t.Errorf("RequestID(nil) = %q", got)
	}
	ctx1 := WithRequestID(ctx, "one")
	ctx2 := WithRequestID(ctx1, "two")
	if got := RequestID(ctx1); got != "one" {
		t.Errorf("RequestID(ctx1) = %q, want one", got)
	}
	if got := RequestID(ctx2); got != "two" {
		t.Errorf("RequestID(ctx2) = %q, want two", got)
	}
	if got := RequestID(WithRequestID(nilCtx, "n")); got != "n" {
		t.Errorf("RequestID(WithRequestID(nil)) = %q, want n", got)
	}
}
