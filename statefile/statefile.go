package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultKeepRuns        = 1000
	DefaultMaxItemFailures = 20
	DefaultPerm            = fs.FileMode(0o600)
)

// Options configures Open. The zero value, or a nil *Options, gives the
// production defaults: fail at once if the lock is held, schema version 1,
// 1000 runs kept in the summary log, 20 item failures kept per run, files
// readable by their owner only, logs to slog.Default().
type Options struct {
	// LockTimeout is how long Open waits for another holder to release the
	// lock. Zero means Open fails at once with a *LockedError.
	LockTimeout time.Duration

	// SchemaVersion is the version of the state type T that this program
	// writes. Zero means 1. Raise it when T changes in a way old files
	// cannot be decoded into, and register a migration for the old version.
	SchemaVersion int

	// Migrations upgrade states written with older schema versions:
	// Migrations[v] turns the JSON of a version v state into version v+1.
	// Open applies them in order up to SchemaVersion; the upgraded state is
	// written with the new version by the next save. Keys must be in
	// [1, SchemaVersion).
	Migrations map[int]func(json.RawMessage) (json.RawMessage, error)

	// Logger receives recoveries, migrations, abandoned runs and the
	// one-line summary of every run. Nil means slog.Default().
	Logger *slog.Logger

	// KeepRuns is how many records the summary log keeps; older ones are
	// dropped. Zero means DefaultKeepRuns.
	KeepRuns int

	// MaxItemFailures is how many item failures a run keeps with their
	// error text (all are counted). Zero means DefaultMaxItemFailures;
	// negative keeps none.
	MaxItemFailures int

	// Perm is the permission of files Open and Save create (before the
	// umask). Zero means DefaultPerm.
	Perm fs.FileMode

	// Now returns the time stamped on saves, runs and the lock file's
	// holder record. Nil means time.Now. It does not time LockTimeout, which
	// is always measured on the monotonic clock.
	Now func() time.Time

	// Test seams: the file system, and the clock and the wait of the lock's
	// polling.
	fsys      fsys
	lockClock func() time.Time
	wait      func(context.Context, time.Duration) error
}

// pathState is what a File knows about the file at its path.
type pathState int

const (
	pathMissing pathState = iota
	pathValid             // holds a verified generation
	pathInvalid           // holds a file that failed verification
)

// File is a state of type T kept in a file, with the lock that makes this
// process its only writer. Get one from Open; its zero value is not usable.
//
// A File is safe for concurrent use by multiple goroutines. State and
// Update work on the state in memory; Save writes it to disk as a new
// generation. Saves (and the saves done by Begin, Finish and Close) are
// serialized; Update and State do not wait for a save's fsync.
type File[T any] struct {
	path    string
	bakPath string
	logPath string
	fsys    fsys
	logger  *slog.Logger
	now     func() time.Time
	perm    fs.FileMode
	schema  int
	keep    int
	maxFail int
	pid     int
	host    string

	lock      *lockFile
	recovered error

	updateMu sync.Mutex // serializes Update

	saveMu sync.Mutex // serializes writes to disk; guards the fields below
	disk   pathState
	saved  []byte // JSON of the last state written or loaded

	mu   sync.Mutex // guards the fields below
	data []byte     // JSON of the current state
	// decoded is the state as Open decoded it to verify it, kept for the
	// first State or Update call, which then need not decode it again; nil
	// once handed out. Nothing else refers to it, so it can be handed out
	// once as the caller's private copy.
	decoded  *T
	mod      uint64 // counts Updates
	savedMod uint64 // mod when saved was taken
	gen      uint64
	run      *Run
	closed   bool
}

// Open locks the state file at path and loads it. See OpenContext.
func Open[T any](path string, opts *Options) (*File[T], error) {
	return OpenContext[T](context.Background(), path, opts)
}

// OpenContext locks the state file at path and loads it; ctx bounds the wait
// for the lock and is passed to the log records Open writes.
//
// path is made absolute and its symbolic links are followed, those of the
// file and of its directories, and the File works on the real file: the
// lock, backup, summary log and temporary files lie beside it, so opening
// the file through a link and by its own name takes the same lock, and a
// save replaces the real file and leaves the link a link. A link whose
// target does not exist yet is followed to the target, which the first
// save creates. Path returns the resolved path, which errors name. An
// empty path, or one that names a directory, is refused before anything on
// disk is touched.
//
// The lock is a kernel lock on path+".lock" that ends with the process. If
// another holder has it, OpenContext waits up to Options.LockTimeout and then
// returns a *LockedError naming the holder.
//
// A missing state file (and backup) gives the zero state. Otherwise the
// newest valid generation is loaded: the file at path, or if that is torn,
// truncated, fails its checksum or is missing, the backup at path+".bak";
// Recovered then says why. If neither is valid, OpenContext fails with an
// error naming the files and what is wrong with them; it never falls back to
// the zero state when a file was there. A file written by a newer schema
// version is refused and left untouched.
//
// A run still marked running in the loaded state was cut short: OpenContext
// records it in the summary log as abandoned.
func OpenContext[T any](ctx context.Context, path string, opts *Options) (*File[T], error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if path == "" {
		return nil, errors.New("statefile: open: the path of the state file is empty")
	}
	abs, err := resolvePath(path)
	if err != nil {
		return nil, fmt.Errorf("statefile: open %s: %w", path, err)
	}
	if err := o.resolve(); err != nil {
		return nil, fmt.Errorf("statefile: open %s: %w", abs, err)
	}
	if fi, err := o.fsys.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("statefile: open %s: is a directory, not a state file", abs)
	}
	f := &File[T]{
		path:    abs,
		bakPath: abs + ".bak",
		logPath: RunsPath(abs),
		fsys:    o.fsys,
		logger:  o.Logger,
		now:     o.Now,
		perm:    o.Perm,
		schema:  o.SchemaVersion,
		keep:    o.KeepRuns,
		maxFail: o.MaxItemFailures,
		pid:     os.Getpid(),
	}
	f.host, _ = os.Hostname()
	if f.host == "" {
		f.host = "unknown"
	}
	var zero T
	zeroJSON, err := json.Marshal(zero)
	if err != nil {
		return nil, fmt.Errorf("statefile: open %s: state type %T cannot be stored as JSON: %w", abs, zero, err)
	}

	f.lock, err = acquireLock(ctx, lockRequest{
		path:     abs,
		lockPath: abs + ".lock",
		perm:     o.Perm,
		timeout:  o.LockTimeout,
		holder:   Holder{PID: f.pid, Host: f.host, Started: f.now().UTC()},
		now:      o.lockClock,
		wait:     o.wait,
	})
	if err != nil {
		return nil, err
	}
	if err := f.load(ctx, zeroJSON, o.Migrations); err != nil {
		f.lock.release()
		return nil, err
	}
	return f, nil
}

func (o *Options) resolve() error {
	switch {
	case o.LockTimeout < 0:
		return fmt.Errorf("Options.LockTimeout is negative (%v)", o.LockTimeout)
	case o.SchemaVersion < 0:
		return fmt.Errorf("Options.SchemaVersion is negative (%d)", o.SchemaVersion)
	case o.KeepRuns < 0:
		return fmt.Errorf("Options.KeepRuns is negative (%d)", o.KeepRuns)
	case o.Perm&^fs.ModePerm != 0:
		return fmt.Errorf("Options.Perm %v has bits other than permissions", o.Perm)
	}
	if o.SchemaVersion == 0 {
		o.SchemaVersion = 1
	}
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
	switch {
	case o.MaxItemFailures == 0:
		o.MaxItemFailures = DefaultMaxItemFailures
	case o.MaxItemFailures < 0:
		o.MaxItemFailures = 0
	}
	if o.Perm == 0 {
		o.Perm = DefaultPerm
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.fsys == nil {
		o.fsys = osFS{}
	}
	if o.lockClock == nil {
		o.lockClock = time.Now
	}
	if o.wait == nil {
		o.wait = sleep
	}
	return nil
}

// load reads the newest valid generation, migrates and verifies it, and
// records a run it finds cut short. The caller holds the lock.
func (f *File[T]) load(ctx context.Context, zeroJSON []byte, migrations map[int]func(json.RawMessage) (json.RawMessage, error)) error {
	dir, base := filepath.Split(f.path)
	if n, err := removeTemps(f.fsys, dir, base, base+runsSuffix); err != nil {
		f.logger.WarnContext(ctx, "statefile: cannot remove temporary files left by a crash", slog.String("path", f.path), slog.Any("error", err))
	} else if n > 0 {
		f.logger.DebugContext(ctx, "statefile: removed temporary files left by a crash", slog.String("path", f.path), slog.Int("count", n))
	}

	env, state, decoded, err := f.readVerified(f.path, migrations)
	switch {
	case err == nil:
		f.disk = pathValid
	case errors.Is(err, ErrCorrupt) || isMissing(err):
		f.disk = pathMissing
		if !isMissing(err) {
			f.disk = pathInvalid
		}
		benv, bstate, bdecoded, berr := f.readVerified(f.bakPath, migrations)
		switch {
		case berr == nil:
			env, state, decoded = benv, bstate, bdecoded
			if f.disk == pathMissing {
				f.recovered = fmt.Errorf("statefile: open %s: state file does not exist (%w); loaded backup %s (generation %d)",
					f.path, fs.ErrNotExist, f.bakPath, benv.Generation)
			} else {
				f.recovered = fmt.Errorf("statefile: open %s: %w: %w; loaded backup %s (generation %d)",
					f.path, ErrCorrupt, err, f.bakPath, benv.Generation)
			}
			f.logger.ErrorContext(ctx, "statefile: state file unusable; loaded the backup generation",
				slog.String("path", f.path), slog.String("backup", f.bakPath),
				slog.Uint64("generation", benv.Generation), slog.Any("error", f.recovered))
		case isMissing(berr) && isMissing(err):
			// Nothing was ever saved here: start from the zero state.
			state = zeroJSON
		case isMissing(berr) || errors.Is(berr, ErrCorrupt):
			return fmt.Errorf("statefile: open %s: %w: no valid generation: %w; backup %w",
				f.path, ErrCorrupt, describe(f.path, err), describe(f.bakPath, berr))
		default:
			return fmt.Errorf("statefile: open %s: backup %w", f.path, berr)
		}
	default:
		return fmt.Errorf("statefile: open %w", err) // err starts with the path
	}
	if env != nil {
		f.gen = env.Generation
		if env.SchemaVersion < f.schema {
			f.logger.InfoContext(ctx, "statefile: state migrated",
				slog.String("path", f.path), slog.Int("from_version", env.SchemaVersion), slog.Int("to_version", f.schema))
		}
	}
	f.data = state
	f.saved = state
	f.decoded = decoded

	if env != nil && env.Run != nil {
		f.recordAbandoned(ctx, env)
	}
	return nil
}

// readVerified reads one generation and verifies all of it: the header and
// checksum (readGeneration), then that its state, migrated to this
// program's schema version, decodes into T. Every error starts with name,
// and is classified as readGeneration's are. A state that is not valid JSON
// makes the file invalid (ErrCorrupt); a failed migration, or valid JSON
// that does not fit T, is an error in the program, not in the file, and is
// returned as it is so that Open fails instead of falling back.
func (f *File[T]) readVerified(name string, migrations map[int]func(json.RawMessage) (json.RawMessage, error)) (*envelope, json.RawMessage, *T, error) {
	env, err := readGeneration(f.fsys, name, f.schema)
	if err != nil {
		return nil, nil, nil, err
	}
	state := env.State
	if env.SchemaVersion < f.schema {
		if !json.Valid(state) {
			return nil, nil, nil, &corruptError{path: name, reason: "state is not valid JSON"}
		}
		if state, err = migrate(state, env.SchemaVersion, f.schema, migrations); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	var t T
	if err := json.Unmarshal(state, &t); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) && env.SchemaVersion == f.schema {
			return nil, nil, nil, &corruptError{path: name, reason: "state is not valid JSON: " + err.Error()}
		}
		return nil, nil, nil, fmt.Errorf("%s: state (schema version %d, generation %d) does not decode into %T: %w",
			name, f.schema, env.Generation, t, err)
	}
	return env, state, &t, nil
}

// describe turns a missing-file error into "<path>: does not exist".
func describe(path string, err error) error {
	if isMissing(err) {
		return notExistError(path)
	}
	return err
}

// notExistError says a file does not exist; it matches fs.ErrNotExist.
type notExistError string

// Error implements error.
func (e notExistError) Error() string { return string(e) + ": does not exist" }

// Is makes errors.Is match the sentinel this error stands for.
func (e notExistError) Is(target error) bool { return target == fs.ErrNotExist }

// recordAbandoned records the run the loaded generation says is running,
// unless the summary log already has it (the process died between
// appending a run's record and saving the generation that drops it).
func (f *File[T]) recordAbandoned(ctx context.Context, env *envelope) {
	run := env.Run
	recent, err := readRuns(f.logPath, 16)
	if err != nil {
		f.logger.WarnContext(ctx, "statefile: cannot read the summary log", slog.String("path", f.logPath), slog.Any("error", err))
	}
	for _, r := range recent {
		if r.RunID == run.RunID {
			return
		}
	}
	rec := run.clone()
	rec.Status = StatusAbandoned
	rec.Ended = f.now()
	rec.LastSaved = env.SavedAt
	rec.Generation = env.Generation
	rec.Error = "the process ended without Finish (the run was still marked running when the next Open took the lock)"
	logRun(ctx, f.logger, f.path, rec)
	if err := appendRun(f.fsys, f.logPath, rec, f.keep, f.perm); err != nil {
		f.logger.ErrorContext(ctx, "statefile: cannot record the abandoned run in the summary log",
			slog.String("path", f.logPath), slog.String("run_id", rec.RunID), slog.Any("error", err))
	}
}

// Path returns the absolute path of the state file, with its symbolic links
// (and those of its directories) resolved: the file Save replaces and the
// name the lock, backup and summary log are derived from.
func (f *File[T]) Path() string { return f.path }

// Recovered reports whether Open loaded the backup generation instead of
// the state file, and why: it wraps ErrCorrupt when the state file failed
// verification, or fs.ErrNotExist when it was missing. It is nil when the
// state file itself was loaded or nothing was there yet.
func (f *File[T]) Recovered() error { return f.recovered }

// Generation returns the generation of the state on disk: the one loaded by
// Open (0 when there was none) or written by the last save.
func (f *File[T]) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

// State returns a deep copy of the current state, decoded from its JSON, so
// the caller may change it freely. Each call decodes, except the first after
// Open, which returns the value Open decoded to verify the file; for a large
// state, call it once and keep the value.
func (f *File[T]) State() T {
	f.mu.Lock()
	data, decoded := f.data, f.decoded
	f.decoded = nil
	f.mu.Unlock()
	if decoded != nil {
		return *decoded
	}
	var t T
	if err := json.Unmarshal(data, &t); err != nil {
		// data was encoded from a T or verified to decode into one, so
		// only a T whose UnmarshalJSON disagrees with its MarshalJSON
		// gets here.
		f.logger.ErrorContext(context.Background(), "statefile: state does not decode; returning the zero state",
			slog.String("path", f.path), slog.Any("error", err))
		var zero T
		return zero
	}
	return t
}

// Update changes the state in memory: fn works on a deep copy, and only if
// fn returns nil and the result encodes as JSON does the copy become the
// state. An error from fn is returned as it is and changes nothing. Update
// does not write to disk; Save does.
//
// Updates are serialized. fn may call State or Save, but not Update.
func (f *File[T]) Update(fn func(*T) error) error {
	f.updateMu.Lock()
	defer f.updateMu.Unlock()
	f.mu.Lock()
	data, decoded, closed := f.data, f.decoded, f.closed
	f.decoded = nil
	f.mu.Unlock()
	if closed {
		return fmt.Errorf("statefile: update %s: %w", f.path, ErrClosed)
	}
	var t T
	if decoded != nil {
		t = *decoded
	} else if err := json.Unmarshal(data, &t); err != nil {
		return fmt.Errorf("statefile: update %s: decode state: %w", f.path, err)
	}
	if err := fn(&t); err != nil {
		return err
	}
	out, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("statefile: update %s: encode state: %w", f.path, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("statefile: update %s: %w", f.path, ErrClosed)
	}
	f.data = out
	f.mod++
	return nil
}

// Save writes the current state as a new generation, atomically and
// durably: a temporary file in the same directory, written and fsynced,
// then renamed over the state file, whose previous generation becomes the
// backup, and the directory fsynced. The progress of a running run is saved
// with it.
//
// If Save fails, the state on disk is the previous generation (or, when
// only the final directory fsync failed, the new one with the previous as
// backup) and the File stays usable; the error names the path and the step
// that failed.
func (f *File[T]) Save() error {
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	f.mu.Lock()
	data, mod, closed := f.data, f.mod, f.closed
	f.mu.Unlock()
	if closed {
		return fmt.Errorf("statefile: save %s: %w", f.path, ErrClosed)
	}
	committed, err := f.writeLocked(data)
	if err != nil {
		err = fmt.Errorf("statefile: save %s: %w", f.path, err)
	}
	if committed {
		f.saved = data
		f.mu.Lock()
		f.savedMod = mod
		f.mu.Unlock()
	}
	return err
}

// writeLocked writes state as the next generation with the active run's
// progress; its errors name the generation, and the caller adds the path
// and operation. The caller holds saveMu.
func (f *File[T]) writeLocked(state []byte) (committed bool, err error) {
	f.mu.Lock()
	gen := f.gen + 1
	r := f.run
	f.mu.Unlock()
	var run []byte
	if r != nil {
		if run, err = json.Marshal(r.progress()); err != nil {
			return false, fmt.Errorf("generation %d: encode run: %w", gen, err)
		}
	}
	buf, err := encodeEnvelope(f.schema, gen, f.now(), run, state)
	if err != nil {
		return false, fmt.Errorf("generation %d: %w", gen, err)
	}
	committed, err = replaceFile(f.fsys, f.path, buf, f.perm, f.keepBackup)
	if committed {
		f.disk = pathValid
		f.mu.Lock()
		f.gen = gen
		f.mu.Unlock()
	}
	if err != nil {
		return committed, fmt.Errorf("generation %d: %w", gen, err)
	}
	return true, nil
}

// keepBackup runs between writing the new generation's temporary file and
// renaming it over the state file. At every instant one valid generation
// is at the state path or the backup path:
//
//   - state file valid: remove the old backup and hard-link the state file
//     as the backup, so the state path is never empty. Where hard links are
//     not supported, rename the state file to the backup instead; until the
//     new file is renamed in, Open loads the backup.
//   - state file invalid (Open loaded the backup): keep the backup, and
//     move the invalid file aside to path+".corrupt" for inspection.
//   - no state file: keep the backup (if any) as it is.
func (f *File[T]) keepBackup() error {
	switch f.disk {
	case pathValid:
		if err := f.fsys.Remove(f.bakPath); err != nil && !isMissing(err) {
			return fmt.Errorf("keep backup: %w", err)
		}
		if lerr := f.fsys.Link(f.path, f.bakPath); lerr != nil {
			if err := f.fsys.Rename(f.path, f.bakPath); err != nil {
				return fmt.Errorf("keep backup: %w", errors.Join(lerr, err))
			}
			f.disk = pathMissing
		}
	case pathInvalid:
		if err := f.fsys.Rename(f.path, f.path+".corrupt"); err != nil {
			return fmt.Errorf("move invalid state file aside: %w", err)
		}
		f.disk = pathMissing
	}
	return nil
}

// Begin starts a run and saves a generation that marks it running, with
// the last saved state (not changes made by Update since). The lock file
// names the run while it is active. ctx is used only for the run's log
// records, so the run's log lines carry its correlation values.
//
// One run at a time: Begin fails while another run of this File is active.
//
// If the save fails, no run has begun: Begin returns a nil *Run and the
// error. If only the final directory fsync failed (see Save), the generation
// marking the run is already the state file: the run has begun, but the
// record of it may not survive a crash. Begin then returns the *Run together
// with the error; Finish it as usual.
func (f *File[T]) Begin(ctx context.Context) (*Run, error) {
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	f.mu.Lock()
	closed, active := f.closed, f.run
	f.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("statefile: begin run in %s: %w", f.path, ErrClosed)
	}
	if active != nil {
		return nil, fmt.Errorf("statefile: begin run in %s: run %s is still active", f.path, active.ID())
	}
	now := f.now()
	r := &Run{
		owner:       f,
		ctx:         context.WithoutCancel(ctx),
		maxFailures: f.maxFail,
		now:         f.now,
		rec: Record{
			RunID:   newRunID(now),
			Status:  StatusRunning,
			Started: now,
			PID:     f.pid,
			Host:    f.host,
		},
	}
	f.mu.Lock()
	f.run = r
	f.mu.Unlock()
	committed, err := f.writeLocked(f.saved)
	if err != nil {
		err = fmt.Errorf("statefile: begin run in %s: save %w", f.path, err)
	}
	if !committed {
		f.mu.Lock()
		f.run = nil
		f.mu.Unlock()
		return nil, err
	}
	if err := f.lock.setRun(r.ID()); err != nil {
		f.logger.WarnContext(ctx, "statefile: cannot record the run in the lock file", slog.String("path", f.path), slog.Any("error", err))
	}
	f.logger.DebugContext(ctx, "statefile: run started", slog.String("path", f.path), slog.String("run_id", r.ID()))
	return r, err
}

// finishRun ends r with err's outcome and records it (see endRunLocked).
func (f *File[T]) finishRun(r *Run, err error) (Record, error) {
	// Ending the run under saveMu makes Finish and Close exclusive: Close
	// either finds the run still active and records it as abandoned, or
	// finds it already recorded here.
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	rec, ok := r.end(err)
	if !ok {
		return rec, fmt.Errorf("statefile: finish run %s: run already ended as %s", rec.RunID, rec.Status)
	}
	return rec, f.endRunLocked("finish run "+rec.RunID, r, &rec)
}

// endRunLocked records an ended run: the one-line log summary, its line in
// the summary log, then a generation without it. op names the operation in
// errors; the caller holds saveMu.
func (f *File[T]) endRunLocked(op string, r *Run, rec *Record) error {
	f.mu.Lock()
	rec.Generation = f.gen
	closed := f.closed
	f.mu.Unlock()
	r.mu.Lock()
	r.rec.Generation = rec.Generation
	r.mu.Unlock()
	logRun(r.ctx, f.logger, f.path, *rec)
	if closed {
		return fmt.Errorf("statefile: %s in %s: %w", op, f.path, ErrClosed)
	}
	var errs []error
	// The record goes to the summary log before the generation that drops
	// the run is saved: if the process dies in between, the next Open
	// finds the run in the log and does not report it abandoned.
	if err := appendRun(f.fsys, f.logPath, *rec, f.keep, f.perm); err != nil {
		errs = append(errs, fmt.Errorf("statefile: %s in %s: record in %s: %w", op, f.path, f.logPath, err))
	}
	f.mu.Lock()
	if f.run == r {
		f.run = nil
	}
	f.mu.Unlock()
	if _, err := f.writeLocked(f.saved); err != nil {
		errs = append(errs, fmt.Errorf("statefile: %s in %s: save %w", op, f.path, err))
	}
	if err := f.lock.setRun(""); err != nil {
		f.logger.WarnContext(r.ctx, "statefile: cannot update the lock file", slog.String("path", f.path), slog.Any("error", err))
	}
	return errors.Join(errs...)
}

// LastRuns returns up to n of the newest records in the summary log, newest
// first (n <= 0: all). See ReadRuns, which does the same without a File.
func (f *File[T]) LastRuns(n int) ([]Record, error) {
	recs, err := readRuns(f.logPath, n)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %s: %w", f.logPath, err)
	}
	return recs, nil
}

// Close releases the lock. A run that is still active is recorded as
// abandoned. Changes made by Update since the last Save are discarded (and
// a warning is logged): call Save first to keep them. Closing a closed File
// does nothing.
func (f *File[T]) Close() error {
	f.saveMu.Lock()
	defer f.saveMu.Unlock()
	f.mu.Lock()
	closed, r, dirty := f.closed, f.run, f.mod != f.savedMod
	f.mu.Unlock()
	if closed {
		return nil
	}
	var errs []error
	if r != nil {
		if rec, ok := r.abandon("Close was called before Finish"); ok {
			if err := f.endRunLocked("close: record abandoned run "+rec.RunID, r, &rec); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if dirty {
		f.logger.WarnContext(context.Background(), "statefile: closed with unsaved changes; they are discarded", slog.String("path", f.path))
	}
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	if err := f.lock.release(); err != nil {
		errs = append(errs, fmt.Errorf("statefile: close %s: release lock: %w", f.path, err))
	}
	return errors.Join(errs...)
}

func openStore[T any](ctx context.Context, s Store, opts *Options) (*File[T], error) {
	s.Close()
	return nil, errors.New("statefile: OpenStore: not implemented")
}
