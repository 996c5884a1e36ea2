//go:build windows

package statefile

import (
	"os"

	"golang.org/x/sys/windows"
)

// Rename replaces newpath with oldpath. MOVEFILE_WRITE_THROUGH makes
// MoveFileEx return only after the move is flushed, which is the closest
// Windows offers to fsyncing the directory.
func (osFS) Rename(oldpath, newpath string) error {
	from, err := windows.UTF16PtrFromString(oldpath)
	var to *uint16
	if err == nil {
		to, err = windows.UTF16PtrFromString(newpath)
	}
	if err == nil {
		err = windows.MoveFileEx(from, to, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// SyncDir does nothing on Windows: directories cannot be flushed there, and
// Rename already writes through.
func (osFS) SyncDir(string) error { return nil }
