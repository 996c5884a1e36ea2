//go:build !windows

package statefile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

func renameFile(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// syncDir fsyncs a directory so that renames, links and removes inside it
// survive a power loss. (On macOS, (*os.File).Sync uses F_FULLFSYNC.)
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	cerr := d.Close()
	// Some file systems (certain FUSE and network ones) cannot fsync a
	// directory; they order metadata themselves, so there is nothing more
	// to do.
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		err = nil
	}
	if err != nil {
		return &fs.PathError{Op: "fsync directory", Path: dir, Err: unwrapPathError(err)}
	}
	return cerr
}
