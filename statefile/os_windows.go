package statefile

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffsetHigh places the one locked byte far beyond the holder record:
// Windows byte-range locks are mandatory and would stop a second process
// from reading the record it needs for its error message.
const lockOffsetHigh = 0x40000000

// tryLock takes an exclusive LockFileEx lock without waiting. Windows
// releases it when the handle is closed or the process ends.
func tryLock(f *os.File) error {
	ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errWouldBlock
	}
	return err
}

func unlock(f *os.File) error {
	ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}

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

// SyncDir does nothing: Windows cannot flush a directory, and Rename
// already writes through.
func (osFS) SyncDir(string) error { return nil }
