package statefile

import (
	"errors"
	"fmt"
	"strings"
	"time"
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

// LockedError is returned by Open when another holder has the lock. It
// names the state file and, when the lock file could be read, the holder.
// It matches ErrLocked with errors.Is.
type LockedError struct {
	// Path is the state file whose lock is held, with its symbolic links
	// resolved (see (*File[T]).Path).
	Path string
	// LockPath is the lock file.
	LockPath string
	// Holder is what the holder wrote into the lock file; its zero value
	// means the holder could not be identified (see HolderErr).
	Holder Holder
	// HolderErr says why Holder is unknown, or is nil.
	HolderErr error
	// Waited is how long Open waited for the lock; zero when
	// Options.LockTimeout is zero.
	Waited time.Duration
}

// Error returns a message naming the path and the holder.
func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "statefile: open %s: %v: ", e.Path, ErrLocked)
	if e.HolderErr != nil {
		fmt.Fprintf(&b, "holder unknown (%v)", e.HolderErr)
	} else {
		b.WriteString(e.Holder.String())
	}
	fmt.Fprintf(&b, "; lock file %s", e.LockPath)
	if e.Waited > 0 {
		fmt.Fprintf(&b, "; gave up after waiting %v", e.Waited)
	}
	return b.String()
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// corruptError describes why one file failed verification.
type corruptError struct {
	path   string
	reason string
}

// Error implements error.
func (e *corruptError) Error() string { return e.path + ": " + e.reason }

// Is makes errors.Is match the sentinel this error stands for.
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }
