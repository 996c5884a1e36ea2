package statefile

import (
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

// Options configures Open and OpenStore. The zero value, or a nil
// *Options, gives the production defaults: fail at once if the lock is
// held, schema version 1, 1000 run records kept, 20 item failures kept per
// run, files readable by their owner only, logs to slog.Default().
type Options struct {
	// LockTimeout is how long Open waits for another holder to release the
	// lock. Zero means Open fails at once with a *LockedError.
	LockTimeout time.Duration

	// SchemaVersion is the version of the state type T that this program
	// writes. Zero means 1. Raise it when T changes in a way old states
	// cannot be decoded into, and register a migration for the old version.
	SchemaVersion int

	// Migrations upgrade states written with older schema versions:
	// Migrations[v] turns the JSON of a version v state into version v+1.
	// Open applies them in order up to SchemaVersion; the next save writes
	// the upgraded state with the new version. Keys must be in
	// [1, SchemaVersion).
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
	if o.KeepRuns == 0 {
		o.KeepRuns = DefaultKeepRuns
	}
	if o.MaxItemFailures == 0 {
		o.MaxItemFailures = DefaultMaxItemFailures
	}
	o.MaxItemFailures = max(o.MaxItemFailures, 0)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// File is a state of type T kept in a Store, with the lock that makes this
// process its only writer. Get one from Open or OpenStore; its zero value
// is not usable.
//
// A File is safe for concurrent use by multiple goroutines. Update, Begin,
// Finish and Close each save a generation, one at a time.
type File[T any] struct {
	store     Store
	name      string // the store's String, for messages
	logger    *slog.Logger
	schema    int
	keep      int
	maxFail   int
	holder    Holder
	recovered error

	mu     sync.Mutex // serializes the store's calls; guards the fields below
	state  json.RawMessage
	gen    uint64
	run    *Run // the active run, or an ended one whose record is not yet stored
	closed bool
}

func newFile[T any](ctx context.Context, s Store, o Options) (*File[T], error) {
	name := s.String()
	if err := o.resolve(); err != nil {
		return nil, fmt.Errorf("statefile: open %s: %w", name, err)
	}
	var zero T
	zeroJSON, err := json.Marshal(zero)
	if err != nil {
		return nil, fmt.Errorf("statefile: open %s: state type %T cannot be stored as JSON: %w", name, zero, err)
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	f := &File[T]{
		store:   s,
		name:    name,
		logger:  o.Logger.With(slog.String("store", name)),
		schema:  o.SchemaVersion,
		keep:    o.KeepRuns,
		maxFail: o.MaxItemFailures,
		holder:  Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC()},
		state:   zeroJSON,
	}
	if err := lock(ctx, s, f.holder, o.LockTimeout); err != nil {
		return nil, err
	}
	snap, err := s.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("statefile: open %s: %w", name, err)
	}
	if snap == nil {
		return f, nil // nothing was ever saved: the zero state
	}
	if f.state, err = upgrade[T](snap, f.schema, o.Migrations); err != nil {
		if snap.Recovered != nil {
			err = fmt.Errorf("%w (%v)", err, snap.Recovered)
		}
		return nil, fmt.Errorf("statefile: open %s: generation %d: %w", name, snap.Generation, err)
	}
	f.gen = snap.Generation
	if snap.SchemaVersion < f.schema {
		f.logger.InfoContext(ctx, "statefile: state migrated", slog.Uint64("generation", snap.Generation),
			slog.Int("from_version", snap.SchemaVersion), slog.Int("to_version", f.schema))
	}
	if f.recovered = snap.Recovered; f.recovered != nil {
		f.logger.ErrorContext(ctx, "statefile: newest generation unusable; loaded the previous one",
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
	delay := 10 * time.Millisecond
	for {
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
		if err := sleep(ctx, min(delay, timeout-waited)); err != nil {
			return fmt.Errorf("statefile: open %s: waiting for %s, held by %s: %w", s, le.Lock, le.Holder, err)
		}
		delay = min(2*delay, 250*time.Millisecond)
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// upgrade brings a loaded state up to schema version schema and checks
// that it decodes into T, so that State cannot fail on it later.
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
		if err != nil {
			return nil, fmt.Errorf("migrate schema version %d to %d: %w", v, v+1, err)
		}
		if !json.Valid(out) {
			return nil, fmt.Errorf("migrate schema version %d to %d: migration returned invalid JSON", v, v+1)
		}
		state = out
	}
	var t T
	if err := json.Unmarshal(state, &t); err != nil {
		return nil, fmt.Errorf("state (schema version %d) does not decode into %T: %w", schema, t, err)
	}
	return state, nil
}

// Recovered reports whether Open loaded an older generation than the
// newest one saved, and why: for the file store, the backup instead of a
// state file that failed verification (wrapping ErrCorrupt) or is missing
// (wrapping fs.ErrNotExist). It is nil otherwise.
func (f *File[T]) Recovered() error { return f.recovered }

// Generation returns the generation of the stored state: the one Open
// loaded (0 when there was none) or the last one saved.
func (f *File[T]) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

// State returns a deep copy of the stored state, decoded from its JSON,
// which the caller may change freely. Each call decodes: for a large
// state, call it once and keep the value. The error is not nil only when
// T's UnmarshalJSON rejects what its MarshalJSON wrote.
func (f *File[T]) State() (T, error) {
	f.mu.Lock()
	data, gen := f.state, f.gen
	f.mu.Unlock()
	var t T
	if err := json.Unmarshal(data, &t); err != nil {
		var zero T
		return zero, fmt.Errorf("statefile: state %s: generation %d does not decode into %T: %w", f.name, gen, t, err)
	}
	return t, nil
}

// Update changes the state and saves it, as a new generation, durably:
// fn works on a deep copy of the state, and only if fn returns nil and the
// result encodes as JSON (and decodes back) is it saved. If fn or the save fails, the stored
// state (in memory and in the store) stays the previous one. The error of
// fn is returned as it is. With the file store, the one exception is a
// save that fails at its last step, the directory fsync: the new state is
// then the stored one, and the error says it may not survive a power loss.
// While a run is active its progress is saved with the state.
//
// Updates and saves are serialized; fn must not call the File's methods.
func (f *File[T]) Update(ctx context.Context, fn func(*T) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("statefile: update %s: %w", f.name, ErrClosed)
	}
	var t T
	if err := json.Unmarshal(f.state, &t); err != nil {
		return fmt.Errorf("statefile: update %s: decode generation %d: %w", f.name, f.gen, err)
	}
	if err := fn(&t); err != nil {
		return err
	}
	out, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("statefile: update %s: encode state: %w", f.name, err)
	}
	// A state that does not decode would make every later Open fail.
	if err := json.Unmarshal(out, new(T)); err != nil {
		return fmt.Errorf("statefile: update %s: the new state does not decode into %T: %w", f.name, t, err)
	}
	if _, err := f.saveLocked(ctx, out); err != nil {
		return fmt.Errorf("statefile: update %s: %w", f.name, err)
	}
	return nil
}

// saveLocked stores state as the next generation with f.run's record.
// committed reports whether it is now the stored state (even when err is
// not nil, see Update). The caller holds f.mu.
func (f *File[T]) saveLocked(ctx context.Context, state json.RawMessage) (committed bool, err error) {
	s := &Snapshot{Generation: f.gen + 1, SchemaVersion: f.schema, SavedAt: time.Now(), State: state}
	if f.run != nil {
		rec := f.run.Record()
		s.Run = &rec
	}
	err = f.store.Save(ctx, s)
	if err != nil && !errors.Is(err, errNotDurable) {
		return false, fmt.Errorf("save generation %d: %w", s.Generation, err)
	}
	f.gen, f.state = s.Generation, state
	if err != nil {
		return true, fmt.Errorf("save generation %d: %w", s.Generation, err)
	}
	return true, nil
}

// LastRuns returns up to n of the newest run records, newest first (n <= 0:
// all). For the file store, ReadRuns does the same without a File.
func (f *File[T]) LastRuns(ctx context.Context, n int) ([]Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fmt.Errorf("statefile: read runs %s: %w", f.name, ErrClosed)
	}
	recs, err := f.store.ReadRuns(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %s: %w", f.name, err)
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
		if rec, ok := r.end(nil, "Close was called before Finish", f.gen); ok {
			logRun(r.ctx, f.logger, rec)
		}
		if err = f.recordRunLocked(r.ctx, r); err != nil {
			err = fmt.Errorf("statefile: close %s: %w", f.name, err)
		}
	}
	f.closed = true
	if cerr := f.store.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("statefile: close %s: %w", f.name, cerr))
	}
	return err
}
