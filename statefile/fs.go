package statefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fsys is the seam through which the file store changes the disk, so that
// tests can make any single step fail the way a full disk or a failing
// device would.
type fsys interface {
	OpenFile(name string, flag int, perm fs.FileMode) (file, error)
	ReadFile(name string) ([]byte, error)
	Rename(oldpath, newpath string) error
	Link(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error // makes the directory entries of dir durable
}

// file is the part of *os.File the file store writes through.
type file interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// osFS is the real file system.
type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (file, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // a nil *os.File must not become a non-nil file
	}
	return f, nil
}
func (osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }
func (osFS) Rename(oldpath, newpath string) error { return renameFile(oldpath, newpath) }
func (osFS) Link(oldpath, newpath string) error   { return os.Link(oldpath, newpath) }
func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) SyncDir(dir string) error             { return syncDir(dir) }

// tempMarker separates a target's name from the random suffix of its
// temporary files: "state.json.tmp-0123456789abcdef".
const tempMarker = ".tmp-"

// createTemp creates a new file beside target. O_EXCL makes sure it never
// opens a file another writer (or a crash's leftover) is using; with 64
// random bits, a name already taken is not worth a retry.
func createTemp(fsys fsys, target string, perm fs.FileMode) (file, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	return fsys.OpenFile(target+tempMarker+hex.EncodeToString(rnd[:]), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
}

// isTempOf reports whether name (a base name) is a temporary file created
// by createTemp for target (also a base name).
func isTempOf(name, target string) bool {
	rest, ok := strings.CutPrefix(name, target+tempMarker)
	_, err := hex.DecodeString(rest)
	return ok && len(rest) == 16 && err == nil
}

// replaceFile atomically replaces target with data: it writes a temporary
// file in the same directory, fsyncs and closes it, calls beforeRename (if
// not nil), renames the temporary file over target and fsyncs the directory.
//
// committed reports whether the rename happened: from then on target holds
// data even if the directory fsync failed. When committed is false, target
// is as it was (apart from what beforeRename did) and the temporary file is
// gone.
func replaceFile(fsys fsys, target string, data []byte, perm fs.FileMode, beforeRename func() error) (committed bool, err error) {
	f, err := createTemp(fsys, target, perm)
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	fail := func(err error) (bool, error) {
		fsys.Remove(tmp)
		return false, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fail(err)
	}
	// The data must be on the device before the rename makes it the
	// current file: otherwise a power loss could leave a renamed but empty
	// or partial file in place of a good one.
	if err := f.Sync(); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if beforeRename != nil {
		if err := beforeRename(); err != nil {
			return fail(err)
		}
	}
	if err := fsys.Rename(tmp, target); err != nil {
		return fail(err)
	}
	// One directory fsync makes the rename (and any link or remove done
	// by beforeRename in the same directory) durable.
	if err := fsys.SyncDir(filepath.Dir(target)); err != nil {
		return true, err
	}
	return true, nil
}

// removeTemps removes the temporary files left beside the targets by a
// process that died mid-write. The caller holds the lock, so no one is
// writing them; one that stays only takes space, so errors are ignored.
func removeTemps(dir string, targets ...string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		for _, t := range targets {
			if isTempOf(e.Name(), t) {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}

// unwrapPathError returns the cause inside a *fs.PathError, for messages
// that name the path themselves.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// maxLinkHops bounds how many dangling symbolic links resolvePath follows,
// so that a chain of links cannot keep it busy forever.
const maxLinkHops = 40

// resolvePath returns the absolute path of the file path names, with the
// symbolic links of the file and of its directories followed (see Open).
// A file that does not exist yet is resolved through its directory; when
// the directory does not exist either, the absolute path is returned for
// the step that needs the directory to report.
func resolvePath(path string) (string, error) {
	p, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	for range maxLinkHops {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return real, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("resolve symbolic links: %w", err)
		}
		// The file (or its directory) does not exist, or it is a link to
		// a file that does not exist.
		dir, base := filepath.Split(p)
		realDir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return p, nil
			}
			return "", fmt.Errorf("resolve symbolic links: %w", err)
		}
		p = filepath.Join(realDir, base)
		target, err := os.Readlink(p)
		if err != nil {
			return p, nil // not a link: a file still to be created
		}
		switch {
		case filepath.IsAbs(target):
		case target != "" && os.IsPathSeparator(target[0]):
			// Rooted but without a volume (Windows): on the link's volume.
			target = filepath.VolumeName(realDir) + target
		default:
			target = filepath.Join(realDir, target)
		}
		p = filepath.Clean(target)
	}
	return "", fmt.Errorf("resolve symbolic links: more than %d links to follow from %s", maxLinkHops, path)
}
