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
// tests can make any step fail as a full disk or failing device would.
// osFS is the real file system.
type fsys interface {
	OpenFile(name string, flag int, perm fs.FileMode) (file, error)
	Rename(oldpath, newpath string) error
	Link(oldpath, newpath string) error
	Remove(name string) error
	SyncDir(dir string) error // makes the directory entries of dir durable
}

// file is the part of *os.File the file store writes through.
type file interface {
	io.WriteCloser
	Sync() error
	Name() string
}

type osFS struct{}

// OpenFile's file is not nil on error, but no caller looks at it then.
func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (file, error) {
	return os.OpenFile(name, flag, perm)
}
func (osFS) Link(oldpath, newpath string) error { return os.Link(oldpath, newpath) }
func (osFS) Remove(name string) error           { return os.Remove(name) }

const tempMarker = ".tmp-" // a temporary file of state.json: "state.json.tmp-0123456789abcdef"

// replaceFile atomically replaces target with data: it writes and fsyncs a
// temporary file beside it, calls beforeRename (if not nil), renames the
// file over target and fsyncs the directory. committed reports whether the
// rename happened; if not, target is as it was and the temporary file gone.
func replaceFile(fsys fsys, target string, data []byte, perm fs.FileMode, beforeRename func() error) (committed bool, err error) {
	// O_EXCL never opens a file a crash left; with 64 random bits, a name
	// already taken is not worth a retry.
	var rnd [8]byte
	rand.Read(rnd[:])
	f, err := fsys.OpenFile(target+tempMarker+hex.EncodeToString(rnd[:]), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return false, err
	}
	_, err = f.Write(data)
	if err == nil {
		// The data must be on the device before the rename makes it the
		// current file, or a power loss could leave a partial file there.
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && beforeRename != nil {
		err = beforeRename()
	}
	if err == nil {
		err = fsys.Rename(f.Name(), target)
	}
	if err != nil {
		_ = fsys.Remove(f.Name()) // the failed step is the error to report
		return false, err
	}
	// One directory fsync makes the rename, and beforeRename's work, durable.
	return true, fsys.SyncDir(filepath.Dir(target))
}

// removeTemps removes the temporary files a process that died mid-write
// left beside the targets, which share a directory. The caller holds the
// lock; errors are ignored, as a file that stays only takes space.
func removeTemps(targets ...string) {
	dir := filepath.Dir(targets[0])
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		for _, t := range targets {
			rest, ok := strings.CutPrefix(e.Name(), filepath.Base(t)+tempMarker)
			if _, err := hex.DecodeString(rest); ok && len(rest) == 16 && err == nil {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}

const maxLinkHops = 40 // bounds a chain (or loop) of dangling links

// resolvePath returns path made absolute with its symbolic links followed
// (see Open). With no directory to resolve, the absolute path is returned,
// for the step that needs the directory to report.
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
		// p or its directory does not exist, or p is a dangling link.
		dir, base := filepath.Split(p)
		realDir, err := filepath.EvalSymlinks(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		} else if err != nil {
			return "", fmt.Errorf("resolve symbolic links: %w", err)
		}
		p = filepath.Join(realDir, base)
		target, err := os.Readlink(p)
		switch {
		case err != nil:
			return p, nil // not a link: a file still to be created
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
