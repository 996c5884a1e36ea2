package statefilebench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/renameio/v2"
	"github.com/hardenkit/harden/statefile"
	"github.com/natefinch/atomic"
)

// state is a job's state: a cursor and a list of pending keys.
type state struct {
	Cursor  string   `json:"cursor"`
	Pending []string `json:"pending"`
}

// stateOfSize returns a state whose JSON is a little under n bytes.
func stateOfSize(n int) state {
	s := state{Cursor: "order-000000"}
	for size := 40; size < n-60; size += 67 {
		s.Pending = append(s.Pending, strings.Repeat("p", 64))
	}
	return s
}

func quiet() *statefile.Options {
	return &statefile.Options{Logger: slog.New(slog.DiscardHandler)}
}

// minimum is the least a durable replace can do: write a temporary file,
// fsync it, close it, rename it over the target and fsync the directory.
func minimum(dir, target string, data []byte) error {
	tmp := target + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// A saver replaces the state file at path with the 4 KiB state.
type saver struct {
	name string
	path string
	save func() error
}

// savers returns a saver per contender, each replacing its own file in its
// own directory under tb.TempDir, and the state's JSON. harden saves its
// File (which holds the state as JSON already, so nothing is encoded
// again); the others write the state's JSON, encoded once beforehand.
func savers(tb testing.TB) ([]byte, []saver) {
	st := stateOfSize(4096)
	raw, err := json.Marshal(st)
	if err != nil {
		tb.Fatal(err)
	}
	hardenPath := filepath.Join(tb.TempDir(), "state.json")
	f, err := statefile.Open[state](context.Background(), hardenPath, quiet())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	// The first save, so that every timed one replaces a file and keeps a backup.
	if err := f.Update(context.Background(), func(s *state) error { *s = st; return nil }); err != nil {
		tb.Fatal(err)
	}
	minDir := tb.TempDir()
	minPath := filepath.Join(minDir, "state.json")
	renameioPath := filepath.Join(tb.TempDir(), "state.json")
	atomicPath := filepath.Join(tb.TempDir(), "state.json")
	return raw, []saver{
		// An Update that changes nothing still saves a new generation.
		{"harden", hardenPath, func() error { return f.Update(context.Background(), func(*state) error { return nil }) }},
		{"renameio", renameioPath, func() error { return renameio.WriteFile(renameioPath, raw, 0o600) }},
		{"natefinch", atomicPath, func() error { return atomic.WriteFile(atomicPath, bytes.NewReader(raw)) }},
		{"minimum", minPath, func() error { return minimum(minDir, minPath, raw) }},
	}
}

// BenchmarkSave4KiB measures replacing a 4 KiB state file. harden and the
// minimum fsync the file and the directory; renameio and natefinch/atomic
// fsync the file only, so a power loss can undo their rename. harden also
// keeps the previous generation as a backup (a hard link, made durable by
// the same directory fsync) and writes a header with a SHA-256 checksum;
// its save is an Update that changes nothing.
func BenchmarkSave4KiB(b *testing.B) {
	raw, ss := savers(b)
	for _, s := range ss {
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.save(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// writeHand writes data as the hand-written verified format: the SHA-256
// of data in hex, a newline, then data.
func writeHand(path string, data []byte) error {
	sum := sha256.Sum256(data)
	return os.WriteFile(path, append([]byte(hex.EncodeToString(sum[:])+"\n"), data...), 0o600)
}

var errChecksum = errors.New("checksum mismatch")

// readHand reads and verifies the hand-written format and decodes it.
func readHand(path string) (state, error) {
	var s state
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	head, data, ok := bytes.Cut(b, []byte("\n"))
	sum := sha256.Sum256(data)
	if !ok || hex.EncodeToString(sum[:]) != string(head) {
		return s, errChecksum
	}
	return s, json.Unmarshal(data, &s)
}

// BenchmarkOpen1MiB measures getting a 1 MiB state back from disk, from a
// warm page cache. harden: Open (lock, read, check the header and the
// SHA-256, decode to verify), State (hands over the copy Open decoded) and
// Close. by-hand-verified: read a file holding a SHA-256 line and the JSON,
// check the checksum, decode; no lock. by-hand: read the JSON and decode
// it, as a program writing with renameio or natefinch/atomic reads it back.
func BenchmarkOpen1MiB(b *testing.B) {
	dir := b.TempDir()
	st := stateOfSize(1 << 20)
	raw, err := json.Marshal(st)
	if err != nil {
		b.Fatal(err)
	}
	hardenPath := filepath.Join(dir, "harden.json")
	f, err := statefile.Open[state](context.Background(), hardenPath, quiet())
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Update(context.Background(), func(s *state) error { *s = st; return nil }); err != nil {
		b.Fatal(err)
	}
	f.Close()
	handPath := filepath.Join(dir, "hand.json")
	if err := writeHand(handPath, raw); err != nil {
		b.Fatal(err)
	}
	plainPath := filepath.Join(dir, "plain.json")
	if err := os.WriteFile(plainPath, raw, 0o600); err != nil {
		b.Fatal(err)
	}
	check := func(b *testing.B, s state) {
		if len(s.Pending) != len(st.Pending) {
			b.Fatalf("decoded %d pending, want %d", len(s.Pending), len(st.Pending))
		}
	}
	b.Run("harden", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			f, err := statefile.Open[state](context.Background(), hardenPath, quiet())
			if err != nil {
				b.Fatal(err)
			}
			s, err := f.State()
			if err != nil {
				b.Fatal(err)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
			check(b, s)
		}
	})
	b.Run("by-hand-verified", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			s, err := readHand(handPath)
			if err != nil {
				b.Fatal(err)
			}
			check(b, s)
		}
	})
	b.Run("by-hand", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			data, err := os.ReadFile(plainPath)
			if err != nil {
				b.Fatal(err)
			}
			var s state
			if err := json.Unmarshal(data, &s); err != nil {
				b.Fatal(err)
			}
			check(b, s)
		}
	})
}
