//go:build windows

package statefile

import (
	"os"

	"golang.org/x/sys/windows"
)

// renameFile replaces newpath with oldpath. MOVEFILE_WRITE_THROUGH makes
// MoveFileEx return only after the move is flushed, which is the closest
// Windows offers to fsyncing the directory.
func renameFile(oldpath, newpath string) error {
	from, err := windows.UTF16PtrFromString(oldpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	to, err := windows.UTF16PtrFromString(newpath)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	if err := windows.MoveFileEx(from, to, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// syncDir does nothing on Windows: directories cannot be flushed there, and
// renameFile already writes through.
func syncDir(string) error { return nil }
