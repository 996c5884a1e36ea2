//go:build !windows

package statefile

import (
	"errors"
	"os"
	"syscall"
)

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// SyncDir fsyncs dir so that renames, links and removes inside it survive
// a power loss. (On macOS, (*os.File).Sync uses F_FULLFSYNC.)
func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	// Some file systems (certain FUSE and network ones) cannot fsync a
	// directory; they order metadata themselves.
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
