package statefile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type benchState struct {
	Cursor  string   `json:"cursor"`
	Pending []string `json:"pending"`
}

// stateOfSize returns a state whose JSON is about n bytes.
func stateOfSize(n int) benchState {
	s := benchState{Cursor: "order-000000"}
	for size := 40; size < n-60; size += 67 {
		s.Pending = append(s.Pending, strings.Repeat("p", 64))
	}
	return s
}

// minimumSave is the least a durable replace can do: write a temporary
// file, fsync it, rename it over the target, fsync the directory.
func minimumSave(b *testing.B, dir, target string, data []byte) {
	tmp := target + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, target); err != nil {
		b.Fatal(err)
	}
	d, err := os.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Sync(); err != nil {
		b.Fatal(err)
	}
	d.Close()
}

// BenchmarkUpdate4KiB compares an Update (decode, change, encode, durable
// save) of a 4 KiB state with the hand-written minimum writing the same
// 4 KiB. The interleaved case alternates the two
// so that both see the same disk load, and reports their ratio: on a
// shared machine it is the figure to trust.
func BenchmarkUpdate4KiB(b *testing.B) {
	state := stateOfSize(4096)
	raw, _ := json.Marshal(state)
	if len(raw) < 4000 || len(raw) > 4096 {
		b.Fatalf("state is %d bytes, want about 4 KiB", len(raw))
	}
	open := func(b *testing.B) *File[benchState] {
		f, err := Open[benchState](b.Context(), filepath.Join(b.TempDir(), "state.json"), quietOptions())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		if err := f.Update(b.Context(), func(s *benchState) error { *s = state; return nil }); err != nil {
			b.Fatal(err) // so every timed save also keeps a backup
		}
		return f
	}
	n := 0
	touch := func(s *benchState) error { n++; s.Cursor = fmt.Sprintf("order-%06d", n%1000000); return nil }
	b.Run("statefile", func(b *testing.B) {
		f := open(b)
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if err := f.Update(b.Context(), touch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("minimum", func(b *testing.B) {
		dir := b.TempDir()
		target := filepath.Join(dir, "state.json")
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			minimumSave(b, dir, target, raw)
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		f := open(b)
		dir := b.TempDir()
		target := filepath.Join(dir, "state.json")
		var tSave, tMin time.Duration
		save := func() {
			t0 := time.Now()
			if err := f.Update(b.Context(), touch); err != nil {
				b.Fatal(err)
			}
			tSave += time.Since(t0)
		}
		minimum := func() {
			t0 := time.Now()
			minimumSave(b, dir, target, raw)
			tMin += time.Since(t0)
		}
		odd := false
		for b.Loop() {
			// Alternate which goes first, so that neither always
			// pays for the other's journal commit.
			if odd = !odd; odd {
				save()
				minimum()
			} else {
				minimum()
				save()
			}
		}
		b.ReportMetric(float64(tSave.Nanoseconds())/float64(b.N), "save-ns/op")
		b.ReportMetric(float64(tMin.Nanoseconds())/float64(b.N), "minimum-ns/op")
		b.ReportMetric(float64(tSave)/float64(tMin), "x-minimum")
	})
}

// BenchmarkOpen1MiB measures Open (lock, read, verify the checksum, decode)
// and Close of a 1 MiB state.
func BenchmarkOpen1MiB(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state.json")
	f, err := Open[benchState](b.Context(), path, quietOptions())
	if err != nil {
		b.Fatal(err)
	}
	state := stateOfSize(1 << 20)
	if err := f.Update(b.Context(), func(s *benchState) error { *s = state; return nil }); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	for b.Loop() {
		f, err := Open[benchState](b.Context(), path, quietOptions())
		if err != nil {
			b.Fatal(err)
		}
		if f.Generation() != 1 {
			b.Fatal("wrong generation")
		}
		f.Close()
	}
}
