package statefile

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultKeepRuns        = 1000
	DefaultMaxItemFailures = 20
	DefaultPerm            = fs.FileMode(0o600)
)

// Options configures Open and OpenStore. A nil *Options is the zero value;
// a zero field means the default it names.
type Options struct {
	// LockTimeout is how long Open waits for another holder to release the
	// lock. Zero means Open fails at once with a *LockedError.
	LockTimeout time.Duration
	// SchemaVersion is the version of the state type T that this program
	// writes; zero means 1. Raise it when T changes in a way old states
	// cannot be decoded into, and register a migration for the old version.
	SchemaVersion int
	// Migrations[v] turns the JSON of a version v state into version v+1,
	// for v in [1, SchemaVersion). Open applies them in order; the next
	// save writes the upgraded state with the new version.
	Migrations map[int]func(json.RawMessage) (json.RawMessage, error)
	// Logger receives recoveries, migrations, abandoned runs and the
	// one-line summary of every run. Nil means slog.Default().
	Logger *slog.Logger
	// KeepRuns is how many run records the store keeps; older ones are
	// dropped. Zero means DefaultKeepRuns.
	KeepRuns int
	// MaxItemFailures is how many item failures a run keeps with their
	// error text (all are counted). Zero means DefaultMaxItemFailures;
	// negative keeps none.
	MaxItemFailures int
	// Perm is the permission of the files Open creates (before the umask).
	// Zero means DefaultPerm. OpenStore ignores it.
	Perm fs.FileMode
}

func (o *Options) resolve() error {
	switch {
	case o.LockTimeout < 0:
		return fmt.Errorf("Options.LockTimeout is negative (%v)", o.LockTimeout)
	case o.SchemaVersion < 0:
		return fmt.Errorf("Options.SchemaVersion is negative (%d)", o.SchemaVersion)
	case o.KeepRuns < 0:
		return fmt.Errorf("Options.KeepRuns is negative (%d)", o.KeepRuns)
	}
	o.SchemaVersion = max(o.SchemaVersion, 1)
	for v, m := range o.Migrations {
		if v < 1 || v >= o.SchemaVersion {
			return fmt.Errorf("Options.Migrations has a migration from version %d, outside [1, SchemaVersion=%d)", v, o.SchemaVersion)
		}
		if m == nil {
			return fmt.Errorf("Options.Migrations[%d] is nil", v)
		}
	}
	o.KeepRuns = cmp.Or(o.KeepRuns, DefaultKeepRuns)
	o.MaxItemFailures = max(cmp.Or(o.MaxItemFailures, DefaultMaxItemFailures), 0)
	o.Logger = cmp.Or(o.Logger, slog.Default())
	return nil
}

// File is a state of type T kept in a Store, with the lock that makes this
// process its only writer. Get one from Open or OpenStore. A File is safe
// for concurrent use; its saves are serialized.
type File[T any] struct {
	store     Store   // its String names the File in messages
	opts      Options // resolved; its Logger names the store
	holder    Holder
	recovered error

	mu     sync.Mutex // serializes the store's calls; guards the fields below
	state  json.RawMessage
	gen    uint64
	run    *Run // the active run, or an ended one whose record is not yet stored
	closed bool
}

// OpenStore opens a File on s: it takes s's lock, waiting up to
// Options.LockTimeout, loads, migrates and decodes the newest valid
// generation, and records a run it names as still running as abandoned.
// The File owns s: Close closes it, and so does a failed OpenStore.
func OpenStore[T any](ctx context.Context, s Store, opts *Options) (*File[T], error) {
	f, err := openStore[T](ctx, s, *cmp.Or(opts, &Options{}))
	if err != nil {
		_ = s.Close() // the open error is the one to report
		return nil, err
	}
	return f, nil
}

// openStore is OpenStore but for closing s when it fails.
func openStore[T any](ctx context.Context, s Store, o Options) (*File[T], error) {
	if err := o.resolve(); err != nil {
		return nil, fmt.Errorf("statefile: open %s: %w", s, err)
	}
	var zero T
	zeroJSON, err := json.Marshal(zero)
	if err != nil {
		return nil, fmt.Errorf("statefile: open %s: state type %T cannot be stored as JSON: %w", s, zero, err)
	}
	o.Logger = o.Logger.With(slog.String("store", s.String()))
	host, _ := os.Hostname()
	f := &File[T]{store: s, opts: o, state: zeroJSON,
		holder: Holder{PID: os.Getpid(), Host: cmp.Or(host, "unknown"), Started: time.Now().UTC()}}
	if err := lock(ctx, s, f.holder, o.LockTimeout); err != nil {
		return nil, err
	}
	snap, err := s.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("statefile: open %s: %w", s, err)
	}
	if snap == nil {
		return f, nil // nothing was ever saved: the zero state
	}
	if f.state, err = upgrade[T](snap, o.SchemaVersion, o.Migrations); err != nil {
		if snap.Recovered != nil {
			err = fmt.Errorf("%w (%v)", err, snap.Recovered)
		}
		return nil, fmt.Errorf("statefile: open %s: generation %d: %w", s, snap.Generation, err)
	}
	f.gen = snap.Generation
	if snap.SchemaVersion < o.SchemaVersion {
		o.Logger.InfoContext(ctx, "statefile: state migrated", slog.Uint64("generation", snap.Generation),
			slog.Int("from_version", snap.SchemaVersion), slog.Int("to_version", o.SchemaVersion))
	}
	if f.recovered = snap.Recovered; f.recovered != nil {
		o.Logger.ErrorContext(ctx, "statefile: newest generation unusable; loaded the previous one",
			slog.Uint64("generation", snap.Generation), slog.Any("error", f.recovered))
	}
	if snap.Run != nil {
		f.recordLeftover(ctx, snap)
	}
	return f, nil
}

// lock takes s's lock, retrying while another holder has it until timeout.
func lock(ctx context.Context, s Store, h Holder, timeout time.Duration) error {
	start := time.Now()
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		err := s.Lock(ctx, h)
		var le *LockedError
		if !errors.As(err, &le) {
			if err != nil {
				return fmt.Errorf("statefile: open %s: lock: %w", s, err)
			}
			return nil
		}
		waited := time.Since(start)
		if waited >= timeout {
			if timeout > 0 {
				le.Waited = waited
			}
			return le
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("statefile: open %s: waiting for %s, held by %s: %w", s, le.Lock, le.Holder, ctx.Err())
		case <-time.After(min(delay, timeout-waited)):
		}
	}
}

// upgrade migrates a loaded state to schema version schema and checks that
// it decodes into T, so that State cannot fail on it later.
func upgrade[T any](snap *Snapshot, schema int, migrations map[int]func(json.RawMessage) (json.RawMessage, error)) (json.RawMessage, error) {
	state := snap.State
	if snap.SchemaVersion > schema {
		return nil, fmt.Errorf("%w: schema version %d, this program's is %d; the state is left untouched",
			ErrNewerVersion, snap.SchemaVersion, schema)
	}
	for v := snap.SchemaVersion; v < schema; v++ {
		m := migrations[v]
		if m == nil {
			return nil, fmt.Errorf("no migration from schema version %d to %d (Options.Migrations[%d] is not set)", v, v+1, v)
		}
		out, err := m(state)
		if err == nil && !json.Valid(out) {
			err = errors.New("migration returned invalid JSON")
		}
		if err != nil {
			return nil, fmt.Errorf("migrate schema version %d to %d: %w", v, v+1, err)
		}
		state = out
	}
	if _, err := decode[T](state); err != nil {
		return nil, fmt.Errorf("state (schema version %d) %w", schema, err)
	}
	return state, nil
}

// decode returns a new T decoded from data, sharing nothing with it.
func decode[T any](data []byte) (T, error) {
	var t T
	if err := json.Unmarshal(data, &t); err != nil {
		return *new(T), fmt.Errorf("does not decode into %T: %w", t, err)
	}
	return t, nil
}

// Recovered reports why Open loaded an older generation than the newest
// saved, or nil: for the file store, why it loaded the backup (wrapping
// ErrCorrupt, or fs.ErrNotExist if the state file was missing).
func (f *File[T]) Recovered() error { return f.recovered }

// Generation returns the generation of the stored state: the one Open
// loaded (0 when there was none) or the last one saved.
func (f *File[T]) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

// State returns a deep copy of the stored state, decoded from its JSON, for
// the caller to change freely; for a large state, call it once and keep
// the value. The error is not nil only when T's UnmarshalJSON rejects what
// its MarshalJSON wrote.
func (f *File[T]) State() (T, error) {
	f.mu.Lock()
	data, gen := f.state, f.gen
	f.mu.Unlock()
	t, err := decode[T](data)
	if err != nil {
		return t, fmt.Errorf("statefile: state %s: generation %d %w", f.store, gen, err)
	}
	return t, nil
}

// Update applies fn to a deep copy of the state and, if fn returns nil and
// the result encodes as JSON (and decodes back), saves it durably as a new
// generation. If fn or the save fails, the state (in memory and in the
// store) stays the previous one; fn's error is returned as it is. With the
// file store, a save that fails only at its directory fsync is the one
// exception: the new state is stored, and the error says it may not
// survive a power loss. fn must not call the File's methods.
func (f *File[T]) Update(ctx context.Context, fn func(*T) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("statefile: update %s: %w", f.store, ErrClosed)
	}
	t, err := decode[T](f.state)
	if err != nil {
		return fmt.Errorf("statefile: update %s: generation %d %w", f.store, f.gen, err)
	}
	if err := fn(&t); err != nil {
		return err
	}
	out, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("statefile: update %s: encode state: %w", f.store, err)
	}
	// A state that does not decode would make every later Open fail.
	if _, err := decode[T](out); err != nil {
		return fmt.Errorf("statefile: update %s: the new state %w", f.store, err)
	}
	if err := f.saveLocked(ctx, out); err != nil {
		return fmt.Errorf("statefile: update %s: %w", f.store, err)
	}
	return nil
}

// saveLocked stores state as the next generation, with f.run's record;
// after errNotDurable it is stored all the same. The caller holds f.mu.
func (f *File[T]) saveLocked(ctx context.Context, state json.RawMessage) error {
	s := &Snapshot{Generation: f.gen + 1, SchemaVersion: f.opts.SchemaVersion, SavedAt: time.Now(), State: state}
	if f.run != nil {
		rec := f.run.Record()
		s.Run = &rec
	}
	err := f.store.Save(ctx, s)
	if err == nil || errors.Is(err, errNotDurable) {
		f.gen, f.state = s.Generation, state
	}
	if err != nil {
		return fmt.Errorf("save generation %d: %w", s.Generation, err)
	}
	return nil
}

// LastRuns returns up to n of the newest run records, newest first (n <= 0:
// all). For the file store, ReadRuns does the same without a File.
func (f *File[T]) LastRuns(ctx context.Context, n int) ([]Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fmt.Errorf("statefile: read runs %s: %w", f.store, ErrClosed)
	}
	recs, err := f.store.ReadRuns(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %s: %w", f.store, err)
	}
	return recs, nil
}

// Close records a run that is still active as abandoned, then releases
// the lock and the store. Every change made by Update is already stored.
// Closing a closed File does nothing.
func (f *File[T]) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	var err error
	if r := f.run; r != nil {
		r.end(nil, "Close was called before Finish", f.gen)
		err = f.recordRunLocked(r.ctx, r)
	}
	f.closed = true
	if err = errors.Join(err, f.store.Close()); err != nil {
		return fmt.Errorf("statefile: close %s: %w", f.store, err)
	}
	return nil
}
