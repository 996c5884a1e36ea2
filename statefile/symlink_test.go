//go:build unix

// Creating symbolic links on Windows needs a privilege or developer mode,
// so these tests run on Unix.

package statefile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// symlink makes link point at target, failing the test if it cannot.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// mustBeLink fails the test unless name is a symbolic link to target.
func mustBeLink(t *testing.T, name, target string) {
	t.Helper()
	fi, err := os.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s is a %v, want it to stay a symbolic link", name, fi.Mode().Type())
	}
	if got, _ := os.Readlink(name); got != target {
		t.Fatalf("%s points at %q, want %q", name, got, target)
	}
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestSymlinkSharesTheLock opens the state file by its own name and through
// a link (to the file, or to its directory), in both orders: the second
// Open must find the lock held, since both name the same file.
func TestSymlinkSharesTheLock(t *testing.T) {
	cases := []struct {
		name string
		// setup returns the real path and another name for it.
		setup func(dir string) (real, alias string)
	}{
		{"file link", func(dir string) (string, string) {
			real := filepath.Join(dir, "real.json")
			symlink(t, "real.json", filepath.Join(dir, "state.json"))
			return real, filepath.Join(dir, "state.json")
		}},
		{"directory link", func(dir string) (string, string) {
			os.Mkdir(filepath.Join(dir, "data"), 0o700)
			symlink(t, "data", filepath.Join(dir, "current"))
			return filepath.Join(dir, "data", "state.json"), filepath.Join(dir, "current", "state.json")
		}},
	}
	for _, tc := range cases {
		for _, aliasFirst := range []bool{false, true} {
			name := tc.name + "/real first"
			if aliasFirst {
				name = tc.name + "/link first"
			}
			t.Run(name, func(t *testing.T) {
				real, alias := tc.setup(tempDir(t))
				first, second := real, alias
				if aliasFirst {
					first, second = alias, real
				}
				openT[testState](t, first, nil)
				g, err := Open[testState](t.Context(), second, quietOptions())
				if err == nil {
					g.Close()
					t.Fatalf("Open(%s) succeeded while Open(%s) holds the lock of the same file", second, first)
				}
				var le *LockedError
				if !errors.As(err, &le) {
					t.Fatalf("Open(%s) = %v, want a *LockedError", second, err)
				}
				if le.Lock != real+".lock" {
					t.Errorf("Lock = %s, want %s.lock", le.Lock, real)
				}
			})
		}
	}
}

// TestSaveThroughSymlink saves through a link: the link stays a link, the
// real file holds the state, and the backup, lock and summary log lie
// beside the real file.
func TestSaveThroughSymlink(t *testing.T) {
	dir := tempDir(t)
	real := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "state.json")
	f := openT[testState](t, real, nil)
	setCounter(t, f, 1)
	f.Close()
	symlink(t, "real.json", link)

	g := openT[testState](t, link, nil)
	if got := stateOf(t, g).Counter; got != 1 {
		t.Fatalf("counter loaded through the link = %d, want 1", got)
	}
	run, err := g.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	setCounter(t, g, 2)
	setCounter(t, g, 3)
	if _, err := run.Finish(nil); err != nil {
		t.Fatal(err)
	}
	g.Close()

	mustBeLink(t, link, "real.json")
	if c := counterOf(t, real); c != 3 {
		t.Errorf("real file counter = %d, want 3", c)
	}
	if c := counterOf(t, real+".bak"); c != 3 {
		t.Errorf("backup counter = %d, want 3 (the generation before Finish's save)", c)
	}
	want := []string{"real.json", "real.json.bak", "real.json.lock", "real.json.runs.jsonl", "state.json"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	recs, err := ReadRuns(link, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].RunID != run.ID() {
		t.Errorf("ReadRuns through the link = %+v, want the run %s", recs, run.ID())
	}
}

// TestDanglingSymlinkFirstRun opens a link whose target does not exist yet,
// as on the first run of a job whose state.json points into a data
// directory: the first save creates the target, and the link stays a link.
func TestDanglingSymlinkFirstRun(t *testing.T) {
	cases := []struct {
		name string
		// setup makes the links in dir and returns the path to open and
		// the file the state must end up in.
		setup func(dir string) (open, target string)
	}{
		{"relative", func(dir string) (string, string) {
			os.Mkdir(filepath.Join(dir, "data"), 0o700)
			symlink(t, "data/state.json", filepath.Join(dir, "state.json"))
			return filepath.Join(dir, "state.json"), filepath.Join(dir, "data", "state.json")
		}},
		{"absolute", func(dir string) (string, string) {
			target := filepath.Join(dir, "data", "state.json")
			os.Mkdir(filepath.Join(dir, "data"), 0o700)
			symlink(t, target, filepath.Join(dir, "state.json"))
			return filepath.Join(dir, "state.json"), target
		}},
		{"chain", func(dir string) (string, string) {
			os.Mkdir(filepath.Join(dir, "data"), 0o700)
			symlink(t, "next.json", filepath.Join(dir, "data", "link.json"))
			symlink(t, "data/link.json", filepath.Join(dir, "state.json"))
			return filepath.Join(dir, "state.json"), filepath.Join(dir, "data", "next.json")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := tempDir(t)
			path, target := tc.setup(dir)
			wantLink, _ := os.Readlink(path)

			f := openT[testState](t, path, nil)
			setCounter(t, f, 1)
			setCounter(t, f, 2)
			f.Close()

			mustBeLink(t, path, wantLink)
			if c := counterOf(t, target); c != 2 {
				t.Errorf("target counter = %d, want 2", c)
			}
			if _, err := os.Lstat(path + ".lock"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("lock file beside the link: %v", err)
			}
			g := openT[testState](t, path, nil)
			if got := stateOf(t, g).Counter; got != 2 {
				t.Errorf("reopened counter = %d, want 2", got)
			}
		})
	}
}

// TestSymlinkLoop makes Open fail, not hang, on links that point at each
// other, and leave no files behind.
func TestSymlinkLoop(t *testing.T) {
	dir := tempDir(t)
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	symlink(t, "b.json", a)
	symlink(t, "a.json", b)
	_, err := Open[testState](t.Context(), a, quietOptions())
	if err == nil {
		t.Fatal("Open of a symbolic link loop succeeded")
	}
	mustContain(t, "error", err.Error(), "statefile: open "+a, "symbolic links")
	if got := dirNames(t, dir); !slices.Equal(got, []string{"a.json", "b.json"}) {
		t.Errorf("files after the failed Open = %v", got)
	}
}

// TestSymlinkToDirectory is refused like a directory, without a lock file.
func TestSymlinkToDirectory(t *testing.T) {
	dir := tempDir(t)
	os.Mkdir(filepath.Join(dir, "data"), 0o700)
	link := filepath.Join(dir, "state.json")
	symlink(t, "data", link)
	_, err := Open[testState](t.Context(), link, quietOptions())
	if err == nil {
		t.Fatal("Open of a link to a directory succeeded")
	}
	mustContain(t, "error", err.Error(), filepath.Join(dir, "data"), "is a directory")
	if got := dirNames(t, dir); !slices.Equal(got, []string{"data", "state.json"}) {
		t.Errorf("files after the failed Open = %v", got)
	}
}
