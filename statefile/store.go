package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A Store keeps a File's generations, its lock and its run records (see the
// package doc). A File calls its methods one at a time: Lock, then Load,
// then any of Save, AppendRun and ReadRuns, and Close last. The storetest
// package checks that a Store keeps this contract.
type Store interface {
	// Lock takes the exclusive lock for h without waiting, and records h.
	// When another holder has it, Lock returns a *LockedError naming that
	// holder. The lock lasts until Close, or until the holder's process
	// (for a server, its session) ends.
	Lock(ctx context.Context, h Holder) error

	// Load returns the newest valid generation, or a nil *Snapshot when
	// none was ever saved. A store that loads the previous generation
	// because the newest is damaged or missing says why in
	// Snapshot.Recovered. When no valid generation exists although one
	// was saved, Load returns an error matching ErrCorrupt.
	Load(ctx context.Context) (*Snapshot, error)

	// Save stores s durably as the newest generation; it may keep the one
	// it replaces as the previous. A store that no longer holds the lock
	// (or is closed), or whose newest generation is not s.Generation-1,
	// returns an error matching ErrLockLost and stores nothing. After any
	// other error the newest generation is as it was. Save also records
	// the ID of s.Run, if it is running (else none), as the holder's RunID.
	Save(ctx context.Context, s *Snapshot) error

	// AppendRun durably appends r to the run records and drops the oldest
	// beyond the newest keep (keep > 0). Without the lock (or once closed)
	// it returns an error matching ErrLockLost and appends nothing.
	AppendRun(ctx context.Context, r Record, keep int) error

	// ReadRuns returns up to n of the newest run records, newest first;
	// n <= 0 returns all. No records yet is (nil, nil).
	ReadRuns(ctx context.Context, n int) ([]Record, error)

	// Close releases the lock and all the store holds; a second Close does nothing.
	Close() error

	// String names the store in the File's messages (for the file store,
	// the state file's path), so the other methods' errors need not.
	String() string
}

// A Snapshot is one generation of a File: its state as JSON and what a
// Store keeps with it.
type Snapshot struct {
	Generation    uint64    // 1 for the first save, one more for each
	SchemaVersion int       // the Options.SchemaVersion the state was written with
	SavedAt       time.Time // when the generation was saved
	// Run is the active run (status running), or a run that ended but
	// whose record is not yet durably among the run records; or nil.
	Run   *Record
	State json.RawMessage
	// Recovered is set by Load when it returned an older generation than
	// the newest one saved, and says why (wrapping ErrCorrupt when the
	// newest failed verification). Stores do not keep it.
	Recovered error
}

var (
	// ErrLocked reports that another holder (another process, or another
	// File in this process) has the lock. *LockedError matches it.
	ErrLocked = errors.New("locked by another process")

	// ErrLockLost reports that a Store no longer holds its lock, or that
	// someone else saved a generation since. Every later save fails too:
	// close the File and let the next Open take over.
	ErrLockLost = errors.New("lock lost")

	// ErrCorrupt reports a stored generation that is torn, truncated, not in
	// the statefile format, or fails its checksum. Open wraps it when no
	// valid generation exists, and Recovered when Open loaded an older one.
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
	s := fmt.Sprintf("pid %d on host %s", h.PID, h.Host)
	if !h.Started.IsZero() {
		s += " since " + h.Started.UTC().Format(time.RFC3339)
	}
	if h.RunID != "" {
		s += ", run " + h.RunID
	}
	return s
}

// LockedError is returned by Open, OpenStore and Store.Lock when another
// holder has the lock. It matches ErrLocked.
type LockedError struct {
	Lock      string        // names the lock: for the file store, the lock file's path
	Holder    Holder        // what the holder recorded; zero when unknown (see HolderErr)
	HolderErr error         // why Holder is unknown, or nil
	Waited    time.Duration // how long OpenStore waited; zero when Options.LockTimeout is zero
}

// Error returns a message naming the lock and its holder.
func (e *LockedError) Error() string {
	holder := e.Holder.String()
	if e.HolderErr != nil {
		holder = fmt.Sprintf("holder unknown (%v)", e.HolderErr)
	}
	s := fmt.Sprintf("statefile: %s: %v: %s", e.Lock, ErrLocked, holder)
	if e.Waited > 0 {
		s += fmt.Sprintf("; gave up after waiting %v", e.Waited)
	}
	return s
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }
