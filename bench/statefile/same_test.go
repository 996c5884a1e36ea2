package statefilebench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hardenkit/harden/statefile"
)

// TestSameSave checks that every saver leaves the 4 KiB state readable at
// its path (harden's through statefile.Open), and that the hand-written
// verified format round-trips and refuses a changed byte, so that the
// benchmarks compare working code.
func TestSameSave(t *testing.T) {
	raw, ss := savers(t)
	if len(raw) < 4000 || len(raw) > 4096 {
		t.Fatalf("state is %d bytes, want about 4 KiB", len(raw))
	}
	want := len(stateOfSize(4096).Pending)
	for _, s := range ss {
		for range 2 {
			if err := s.save(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		if s.name == "harden" {
			continue // its File holds the lock; checked below
		}
		data, err := os.ReadFile(s.path)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		var got state
		if err := json.Unmarshal(data, &got); err != nil || len(got.Pending) != want {
			t.Errorf("%s: %v, %d pending, want %d", s.name, err, len(got.Pending), want)
		}
	}

	// harden's file, copied away from its lock, opens with the state.
	data, err := os.ReadFile(ss[0].path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.json")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := statefile.Open[state](context.Background(), cp, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.State(); err != nil || len(got.Pending) != want || f.Generation() != 3 {
		t.Errorf("harden: generation %d, %d pending; want 3, %d", f.Generation(), len(got.Pending), want)
	}
	f.Close()

	p := filepath.Join(t.TempDir(), "hand.json")
	small := stateOfSize(1000)
	raw, _ = json.Marshal(small)
	if err := writeHand(p, raw); err != nil {
		t.Fatal(err)
	}
	got, err := readHand(p)
	if err != nil || got.Cursor != small.Cursor || len(got.Pending) != len(small.Pending) {
		t.Fatalf("readHand = %+v, %v", got, err)
	}
	b, _ := os.ReadFile(p)
	b[len(b)-5] ^= 1
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readHand(p); err != errChecksum {
		t.Errorf("readHand of a changed file: %v, want %v", err, errChecksum)
	}
}
