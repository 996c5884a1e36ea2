package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A Store keeps a File's generations, its lock and its run records. Open
// uses the file store (a state file, its backup, a lock file and a summary
// log beside it); OpenStore takes any Store, such as the PostgreSQL store
// of the statefile/pgstore module. A File calls a Store's methods one at a
// time: Lock first, then Load, then any of Save, AppendRun and ReadRuns,
// and Close last. The storetest package checks that a Store keeps this
// contract.
type Store interface {
	// Lock takes the exclusive lock for h and records h, so that a
	// second holder's *LockedError can name it. It does not wait: when
	// another holder has the lock it returns a *LockedError (matching
	// ErrLocked) naming that holder, and OpenStore retries until
	// Options.LockTimeout. The lock lasts until Close, or until the
	// holder's process (or, for a server, its session) ends.
	Lock(ctx context.Context, h Holder) error

	// Load returns the newest valid generation, or a nil *Snapshot when
	// none was ever saved. A store that keeps a previous generation and
	// loads it because the newest is damaged or missing says why in
	// Snapshot.Recovered. When no valid generation exists although one
	// was saved, Load returns an error matching ErrCorrupt; it never
	// returns nil for a store that once held a state.
	Load(ctx context.Context) (*Snapshot, error)

	// Save stores s durably as the new generation, replacing the newest
	// one, which it may keep as the previous. s.Generation is the newest
	// generation plus one (1 for the first save). A store that finds it
	// no longer holds the lock (or is closed), or that its newest
	// generation is not s.Generation-1, returns an error matching
	// ErrLockLost and stores nothing. When Save returns any other error,
	// the newest generation is as it was. Save also records the ID of
	// s.Run, if its status is StatusRunning (else none), as the holder's
	// RunID.
	Save(ctx context.Context, s *Snapshot) error

	// AppendRun durably appends r to the run records and drops the
	// oldest beyond the newest keep (keep > 0). A store that finds it no
	// longer holds the lock (or is closed) returns an error matching
	// ErrLockLost and appends nothing.
	AppendRun(ctx context.Context, r Record, keep int) error

	// ReadRuns returns up to n of the newest run records, newest first;
	// n <= 0 returns all. No records yet is (nil, nil).
	ReadRuns(ctx context.Context, n int) ([]Record, error)

	// Close releases the lock and whatever the store holds. Calling it
	// again does nothing.
	Close() error

	// String names the store in the File's messages: for the file store,
	// the state file's path. Errors of the other methods need not repeat
	// it.
	String() string
}

// A Snapshot is one generation of a File: its state as JSON and what a
// Store keeps with it.
type Snapshot struct {
	// Generation counts saves: 1 for the first, one more for each.
	Generation uint64
	// SchemaVersion is the Options.SchemaVersion the state was written
	// with.
	SchemaVersion int
	// SavedAt is when the generation was saved.
	SavedAt time.Time
	// Run is the run this generation records: the active run (status
	// running), or a run that ended but whose record is not yet durably
	// among the run records. Nil when there is none.
	Run *Record
	// State is the state, as JSON.
	State json.RawMessage
	// Recovered is set by Load when it returned an older generation than
	// the newest one saved, and says why (it wraps ErrCorrupt when the
	// newest failed verification). Stores do not keep it.
	Recovered error
}

var (
	// ErrLocked reports that another holder (another process, or another
	// File in this process) has the lock. Open returns a *LockedError,
	// which matches it.
	ErrLocked = errors.New("locked by another process")

	// ErrLockLost reports that a Store no longer holds the lock it took, or
	// that someone else saved a generation since: another holder may be
	// running, so the File must not write. Every later save fails too;
	// close the File and let the next Open take over.
	ErrLockLost = errors.New("lock lost")

	// ErrCorrupt reports a stored generation that failed verification:
	// torn, truncated, not in the statefile format, or with a checksum
	// that does not match its state. Open wraps it when no valid
	// generation exists, and Recovered when Open loaded an older one.
	ErrCorrupt = errors.New("invalid state file")

	// ErrNewerVersion reports a state written by a newer schema version
	// (or a newer statefile format) than this program knows. Open refuses
	// it and leaves it untouched.
	ErrNewerVersion = errors.New("written by a newer version")

	// ErrClosed reports a call on a File after Close.
	ErrClosed = errors.New("file is closed")
)

// Holder identifies the holder of a File's lock, as its Store records it.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	RunID   string    `json:"run_id,omitempty"`
	Started time.Time `json:"started"`
}

// String describes the holder for an error message:
// "pid 4242 on host web-1 since 2026-06-11T02:00:00Z, run 20260611T020000Z-1a2b3c4d5e6f".
func (h Holder) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pid %d on host %s", h.PID, h.Host)
	if !h.Started.IsZero() {
		fmt.Fprintf(&b, " since %s", h.Started.UTC().Format(time.RFC3339))
	}
	if h.RunID != "" {
		fmt.Fprintf(&b, ", run %s", h.RunID)
	}
	return b.String()
}

// LockedError is returned by Open, OpenStore and Store.Lock when another
// holder has the lock. It matches ErrLocked with errors.Is.
type LockedError struct {
	// Lock names the lock: for the file store, the lock file's path.
	Lock string
	// Holder is what the holder recorded; its zero value means the holder
	// could not be identified (see HolderErr).
	Holder Holder
	// HolderErr says why Holder is unknown, or is nil.
	HolderErr error
	// Waited is how long OpenStore waited for the lock; zero when
	// Options.LockTimeout is zero.
	Waited time.Duration
}

// Error returns a message naming the lock and its holder.
func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "statefile: %s: %v: ", e.Lock, ErrLocked)
	if e.HolderErr != nil {
		fmt.Fprintf(&b, "holder unknown (%v)", e.HolderErr)
	} else {
		b.WriteString(e.Holder.String())
	}
	if e.Waited > 0 {
		fmt.Fprintf(&b, "; gave up after waiting %v", e.Waited)
	}
	return b.String()
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// OpenStore opens a File on s: it takes s's lock (waiting up to
// Options.LockTimeout), loads the newest valid generation, migrates and
// decodes it, and records a run the generation names as still running as
// abandoned. The File owns s from then on and closes it on Close, or at
// once when OpenStore fails.
func OpenStore[T any](ctx context.Context, s Store, opts *Options) (*File[T], error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	f, err := newFile[T](ctx, s, o)
	if err != nil {
		s.Close()
		return nil, err
	}
	return f, nil
}
