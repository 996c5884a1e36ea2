package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The process tests run this binary again as a child process.
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	goleak.VerifyTestMain(m)
}

// testState is the state type most tests store.
type testState struct {
	Counter int            `json:"counter"`
	Names   map[string]int `json:"names,omitempty"`
	Items   []string       `json:"items,omitempty"`
}

// logRecord is one captured slog record.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

// captureHandler collects log records for assertions.
type captureHandler struct {
	mu    *sync.Mutex
	recs  *[]logRecord
	attrs []slog.Attr
}

func newCapture() (*slog.Logger, func() []logRecord) {
	h := captureHandler{mu: new(sync.Mutex), recs: new([]logRecord)}
	return slog.New(h), func() []logRecord {
		h.mu.Lock()
		defer h.mu.Unlock()
		return append([]logRecord(nil), *h.recs...)
	}
}

func (captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(h.attrs[:len(h.attrs):len(h.attrs)], as...)
	return h
}
func (h captureHandler) WithGroup(string) slog.Handler { return h }
func (h captureHandler) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.Attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, rec)
	return nil
}

// tempDir returns a new temporary directory with its symbolic links
// resolved (on macOS the temporary directory lies behind /var ->
// /private/var), so that the paths a test builds in it are the paths Open
// resolves them to.
func tempDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// quietOptions returns options that log nowhere.
func quietOptions() *Options {
	return &Options{Logger: slog.New(slog.DiscardHandler)}
}

// openT opens path and closes the File when the test ends.
func openT[T any](t *testing.T, path string, opts *Options) *File[T] {
	t.Helper()
	return openFS[T](t, path, opts, osFS{})
}

// openFS opens the file store at path on fsys and closes the File when the
// test ends.
func openFS[T any](t *testing.T, path string, opts *Options, fsys fsys) *File[T] {
	t.Helper()
	if opts == nil {
		opts = quietOptions()
	}
	s, err := newFileStore(path, opts.Perm, fsys)
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenStore[T](t.Context(), s, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// stateOf returns f's state, failing the test if it does not decode.
func stateOf[T any](t *testing.T, f *File[T]) T {
	t.Helper()
	s, err := f.State()
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return s
}

// setCounter updates the counter, which saves it.
func setCounter(t *testing.T, f *File[testState], n int) {
	t.Helper()
	if err := f.Update(t.Context(), func(s *testState) error { s.Counter = n; return nil }); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// readEnv reads and verifies a generation file directly.
func readEnv(t *testing.T, name string) *envelope {
	t.Helper()
	env, err := readGeneration(osFS{}, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return env
}

// counterOf decodes the counter of a verified generation file.
func counterOf(t *testing.T, name string) int {
	t.Helper()
	var s testState
	if err := json.Unmarshal(readEnv(t, name).State, &s); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return s.Counter
}

// copyState copies the state file and backup (those that exist) of src into
// a new directory and returns the new state path, as a crash would leave
// them for the next process.
func copyState(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	for _, suffix := range []string{"", ".bak", runsSuffix} {
		data, err := os.ReadFile(src + suffix)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// tempFiles lists temporary files left in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), tempMarker) {
			out = append(out, e.Name())
		}
	}
	return out
}

// fault makes one kind of file system step fail.
type fault struct {
	op    string // create, write, sync, close, link, rename, remove, syncdir, readfile
	match string // substring of the path ("" matches every path), or "=name" for base name name
	err   error
}

// faultFS is the real file system with injectable failures.
type faultFS struct {
	osFS
	mu     sync.Mutex
	faults []fault
	hits   map[string]int
}

func (f *faultFS) inject(op, match string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{op, match, err})
}

func (f *faultFS) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func (f *faultFS) check(op, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ft := range f.faults {
		matched := strings.Contains(path, ft.match)
		if exact, ok := strings.CutPrefix(ft.match, "="); ok {
			matched = filepath.Base(path) == exact
		}
		if ft.op == op && matched {
			if f.hits == nil {
				f.hits = map[string]int{}
			}
			f.hits[op]++
			return ft.err
		}
	}
	return nil
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (file, error) {
	if flag&os.O_EXCL != 0 {
		if err := f.check("create", name); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	file, err := f.osFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{file: file, fs: f}, nil
}

func (f *faultFS) ReadFile(name string) ([]byte, error) {
	if err := f.check("readfile", name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f.osFS.ReadFile(name)
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	if err := f.check("rename", newpath); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return f.osFS.Rename(oldpath, newpath)
}

func (f *faultFS) Link(oldpath, newpath string) error {
	if err := f.check("link", newpath); err != nil {
		return &os.LinkError{Op: "link", Old: oldpath, New: newpath, Err: err}
	}
	return f.osFS.Link(oldpath, newpath)
}

func (f *faultFS) Remove(name string) error {
	if err := f.check("remove", name); err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	return f.osFS.Remove(name)
}

func (f *faultFS) SyncDir(dir string) error {
	if err := f.check("syncdir", dir); err != nil {
		return &fs.PathError{Op: "fsync directory", Path: dir, Err: err}
	}
	return f.osFS.SyncDir(dir)
}

type faultFile struct {
	file
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.check("write", f.Name()); err != nil {
		// Write part of it, as a full disk does.
		n, _ := f.file.Write(p[:len(p)/2])
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: err}
	}
	return f.file.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.check("sync", f.Name()); err != nil {
		return &fs.PathError{Op: "sync", Path: f.Name(), Err: err}
	}
	return f.file.Sync()
}

func (f *faultFile) Close() error {
	if err := f.fs.check("close", f.Name()); err != nil {
		f.file.Close()
		return &fs.PathError{Op: "close", Path: f.Name(), Err: err}
	}
	return f.file.Close()
}

// mustContain fails unless s contains every part.
func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s = %q, want it to contain %q", what, s, p)
		}
	}
}

// fileBytes reads a file, or returns nil if it does not exist.
func fileBytes(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}
