package statefile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Open opens a File on the state file at path, as OpenStore does with the
// file store for path (see the package doc for its files). path is made
// absolute and its symbolic links are followed, those of the file and of
// its directories, so that opening a file through a link and by its own
// name takes the same lock, and a save replaces the real file and leaves
// the link a link; a link whose target does not exist yet is followed to
// it. An empty path, or one that names a directory, is refused before
// anything on disk is touched.
func Open[T any](ctx context.Context, path string, opts *Options) (*File[T], error) {
	var perm fs.FileMode
	if opts != nil {
		perm = opts.Perm
	}
	s, err := newFileStore(path, perm, osFS{})
	if err != nil {
		return nil, err
	}
	return OpenStore[T](ctx, s, opts)
}

// fileStore is the Store behind Open: a state file, its backup, a lock
// file and a summary log side by side. Its File serializes its calls.
type fileStore struct {
	path, bakPath, lockPath, logPath string
	perm                             fs.FileMode
	fsys                             fsys // every change to the disk goes through it, for fault injection

	lock   *os.File // the locked lock file; nil when the lock is not held
	holder Holder
	gen    uint64    // the newest generation stored
	disk   pathState // what is at path
}

// pathState is what the file store knows about the file at its path.
type pathState int

const (
	pathMissing pathState = iota
	pathValid             // holds a verified generation
	pathInvalid           // holds a file that failed verification
)

var _ Store = (*fileStore)(nil)

// errNotDurable marks a save of the file store that renamed the new
// generation into place but could not fsync the directory: the generation
// is stored, but may not survive a power loss.
var errNotDurable = errors.New("saved, but may not survive a power loss")

func newFileStore(path string, perm fs.FileMode, fsys fsys) (*fileStore, error) {
	if path == "" {
		return nil, errors.New("statefile: open: the path of the state file is empty")
	}
	abs, err := resolvePath(path)
	if err != nil {
		return nil, fmt.Errorf("statefile: open %s: %w", path, err)
	}
	if perm&^fs.ModePerm != 0 {
		return nil, fmt.Errorf("statefile: open %s: Options.Perm %v has bits other than permissions", abs, perm)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("statefile: open %s: is a directory, not a state file", abs)
	}
	if perm == 0 {
		perm = DefaultPerm
	}
	return &fileStore{path: abs, bakPath: abs + ".bak", lockPath: abs + ".lock", logPath: abs + runsSuffix, perm: perm, fsys: fsys}, nil
}

// Lock implements Store with a kernel lock on the lock file, which holds
// the holder's record.
func (s *fileStore) Lock(ctx context.Context, h Holder) error {
	if s.lock != nil {
		return fmt.Errorf("%s: already locked by this store", s.lockPath)
	}
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, s.perm)
	if err != nil {
		return err
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if !errors.Is(err, errWouldBlock) {
			return err
		}
		le := &LockedError{Lock: s.lockPath}
		le.Holder, le.HolderErr = readHolder(ctx, s.lockPath)
		return le
	}
	if err := writeHolder(f, h); err != nil {
		unlock(f)
		f.Close()
		return fmt.Errorf("%s: record the holder: %w", s.lockPath, err)
	}
	s.lock, s.holder = f, h
	return nil
}

// Load implements Store: the state file, or its backup when the state file
// is missing or fails verification.
func (s *fileStore) Load(context.Context) (*Snapshot, error) {
	dir, base := filepath.Split(s.path)
	removeTemps(dir, base, base+runsSuffix)

	env, err := readGeneration(s.fsys, s.path)
	var recovered error
	switch {
	case err == nil:
		s.disk = pathValid
	case errors.Is(err, ErrCorrupt) || isMissing(err):
		s.disk = pathInvalid
		if isMissing(err) {
			s.disk = pathMissing
		}
		benv, berr := readGeneration(s.fsys, s.bakPath)
		switch {
		case berr == nil:
			env = benv
			recovered = fmt.Errorf("%w; loaded the backup %s (generation %d)", describe(s.path, err), s.bakPath, benv.Generation)
		case isMissing(berr) && isMissing(err):
			return nil, nil // nothing was ever saved here
		case isMissing(berr) || errors.Is(berr, ErrCorrupt):
			return nil, fmt.Errorf("%w: no valid generation: %w; backup %w",
				ErrCorrupt, describe(s.path, err), describe(s.bakPath, berr))
		default:
			return nil, fmt.Errorf("backup %w", berr)
		}
	default:
		return nil, err // err starts with the path
	}
	s.gen = env.Generation
	return &Snapshot{Generation: env.Generation, SchemaVersion: env.SchemaVersion, SavedAt: env.SavedAt,
		Run: env.Run, State: env.State, Recovered: recovered}, nil
}

// describe turns a missing-file error into "<path>: does not exist".
func describe(path string, err error) error {
	if isMissing(err) {
		return fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	return err
}

// Save implements Store: a temporary file in the same directory, written
// and fsynced, then renamed over the state file, whose previous generation
// becomes the backup, and the directory fsynced.
func (s *fileStore) Save(_ context.Context, snap *Snapshot) error {
	if s.lock == nil {
		return fmt.Errorf("%w: the lock is not held", ErrLockLost)
	}
	if snap.Generation != s.gen+1 {
		return fmt.Errorf("%w: generation %d is stored, so the next is %d, not %d",
			ErrLockLost, s.gen, s.gen+1, snap.Generation)
	}
	buf, err := encodeEnvelope(snap)
	if err != nil {
		return err
	}
	committed, err := replaceFile(s.fsys, s.path, buf, s.perm, s.keepBackup)
	if !committed {
		return err
	}
	s.gen, s.disk = snap.Generation, pathValid
	runID := ""
	if snap.Run != nil && snap.Run.Status == StatusRunning {
		runID = snap.Run.RunID
	}
	if runID != s.holder.RunID {
		s.holder.RunID = runID
		// The holder's record only serves other processes' messages: a
		// failure to update it does not fail the save.
		writeHolder(s.lock, s.holder)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errNotDurable, err)
	}
	return nil
}

// keepBackup runs between writing the new generation's temporary file and
// renaming it over the state file, so that at every instant one valid
// generation is at the state path or the backup path:
//
//   - state file valid: remove the old backup and hard-link the state file
//     as the backup. Where hard links are not supported, rename the state
//     file to the backup instead; until the new file is renamed in, Open
//     loads the backup.
//   - state file invalid (Load loaded the backup): keep the backup, and
//     move the invalid file aside to path+".corrupt" for inspection.
//   - no state file: keep the backup (if any) as it is.
func (s *fileStore) keepBackup() error {
	switch s.disk {
	case pathValid:
		if err := s.fsys.Remove(s.bakPath); err != nil && !isMissing(err) {
			return fmt.Errorf("keep backup: %w", err)
		}
		if lerr := s.fsys.Link(s.path, s.bakPath); lerr != nil {
			if err := s.fsys.Rename(s.path, s.bakPath); err != nil {
				return fmt.Errorf("keep backup: %w", errors.Join(lerr, err))
			}
			s.disk = pathMissing
		}
	case pathInvalid:
		if err := s.fsys.Rename(s.path, s.path+".corrupt"); err != nil {
			return fmt.Errorf("move invalid state file aside: %w", err)
		}
		s.disk = pathMissing
	}
	return nil
}

// AppendRun implements Store with the summary log beside the state file.
func (s *fileStore) AppendRun(_ context.Context, r Record, keep int) error {
	if s.lock == nil {
		return fmt.Errorf("%s: %w: the lock is not held", s.logPath, ErrLockLost)
	}
	if err := appendRun(s.fsys, s.logPath, r, keep, s.perm); err != nil {
		return fmt.Errorf("%s: %w", s.logPath, err)
	}
	return nil
}

// ReadRuns implements Store with the summary log beside the state file.
func (s *fileStore) ReadRuns(_ context.Context, n int) ([]Record, error) {
	recs, err := readRuns(s.logPath, n)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.logPath, err)
	}
	return recs, nil
}

// String returns the path of the state file.
func (s *fileStore) String() string { return s.path }

// Close implements Store: it releases the lock. The holder's record stays
// in the lock file; it only matters while the lock is held.
func (s *fileStore) Close() error {
	if s.lock == nil {
		return nil
	}
	err := errors.Join(unlock(s.lock), s.lock.Close())
	s.lock = nil
	return err
}
