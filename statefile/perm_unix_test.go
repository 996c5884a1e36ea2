//go:build unix

package statefile

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFilePermissions(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, tc := range []struct {
		perm, want fs.FileMode
	}{
		{0, 0o600},
		{0o640, 0o640},
	} {
		path := filepath.Join(tempDir(t), "state.json")
		opts := quietOptions()
		opts.Perm = tc.perm
		f := openT[testState](t, path, opts)
		setCounter(t, f, 1)
		setCounter(t, f, 2)
		run, err := f.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		run.Finish(nil)
		for _, name := range []string{path, path + ".bak", path + ".lock", path + runsSuffix} {
			st, err := os.Stat(name)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != tc.want {
				t.Errorf("Perm %v: %s has mode %v, want %v", tc.perm, filepath.Base(name), got, tc.want)
			}
		}
	}
}
