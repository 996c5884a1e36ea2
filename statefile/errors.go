package statefile

import (
	"errors"
)

var (
	// ErrLocked reports that another process (or another File in this
	// process) holds the lock on the state file. Open returns a
	// *LockedError, which matches ErrLocked with errors.Is.
	ErrLocked = errors.New("locked by another process")

	// ErrCorrupt reports a state file that failed verification: torn,
	// truncated, not JSON, not in the statefile format, or with a checksum
	// that does not match its state. Open wraps it when no valid generation
	// exists, and Recovered wraps it when Open fell back to the backup.
	ErrCorrupt = errors.New("invalid state file")

	// ErrNewerVersion reports a state file written by a newer schema version
	// (or a newer statefile format) than this program knows. Open refuses
	// such a file and leaves it untouched.
	ErrNewerVersion = errors.New("written by a newer version")

	// ErrClosed reports a call on a File after Close.
	ErrClosed = errors.New("file is closed")
)

// corruptError describes why one file failed verification.
type corruptError struct {
	path   string
	reason string
}

// Error implements error.
func (e *corruptError) Error() string { return e.path + ": " + e.reason }

// Is makes errors.Is match the sentinel this error stands for.
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }
