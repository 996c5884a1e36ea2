//go:build windows

package statefile

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is where the one locked byte lives: far beyond the holder
// record, because Windows byte-range locks are mandatory and would stop a
// second process from reading the record it needs for its error message.
const lockOffsetHigh = 0x40000000

// tryLock takes an exclusive LockFileEx lock without waiting. Windows
// releases it when the handle is closed or the process ends.
func tryLock(f *os.File) error {
	return control(f, func(h windows.Handle) error {
		ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
		err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, windows.ERROR_LOCK_VIOLATION):
			return errWouldBlock
		default:
			return &os.PathError{Op: "LockFileEx", Path: f.Name(), Err: err}
		}
	})
}

func unlock(f *os.File) error {
	return control(f, func(h windows.Handle) error {
		ol := windows.Overlapped{OffsetHigh: lockOffsetHigh}
		if err := windows.UnlockFileEx(h, 0, 1, 0, &ol); err != nil {
			return &os.PathError{Op: "UnlockFileEx", Path: f.Name(), Err: err}
		}
		return nil
	})
}

func control(f *os.File, fn func(h windows.Handle) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(windows.Handle(fd)) }); err != nil {
		return err
	}
	return ferr
}
