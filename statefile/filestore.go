package statefile

import (
	"cmp"
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
// file and a summary log side by side (see the package doc).
type fileStore struct {
	path, bakPath, lockPath, logPath string
	perm                             fs.FileMode
	fsys                             fsys // every change to the disk goes through it, for fault injection

	lock    *os.File // the locked lock file; nil when the lock is not held
	holder  Holder
	gen     uint64 // the newest generation stored
	current bool   // path holds a verified generation
}

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
	return &fileStore{path: abs, bakPath: abs + ".bak", lockPath: abs + ".lock", logPath: abs + runsSuffix,
		perm: cmp.Or(perm, DefaultPerm), fsys: fsys}, nil
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
			return fmt.Errorf("%s: lock: %w", s.lockPath, err)
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
	s.current = err == nil
	var recovered error
	if err != nil {
		if !isMissing(err) && !errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		bak, berr := readGeneration(s.fsys, s.bakPath)
		switch {
		case berr == nil:
			env, recovered = bak, fmt.Errorf("%w; loaded the backup %s (generation %d)", err, s.bakPath, bak.Generation)
		case isMissing(berr) && isMissing(err):
			return nil, nil // nothing was ever saved here
		case isMissing(berr) || errors.Is(berr, ErrCorrupt):
			return nil, fmt.Errorf("%w: no valid generation: %w; backup %w", ErrCorrupt, err, berr)
		default:
			return nil, fmt.Errorf("backup %w", berr)
		}
	}
	s.gen = env.Generation
	return &Snapshot{Generation: env.Generation, SchemaVersion: env.SchemaVersion, SavedAt: env.SavedAt,
		Run: env.Run, State: env.State, Recovered: recovered}, nil
}

// Save implements Store with replaceFile; the generation it replaces
// becomes the backup (see keepBackup).
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
	s.gen, s.current = snap.Generation, true
	// The holder's record names the active run. It only serves other
	// processes' messages: a failure to write it does not fail the save.
	s.holder.RunID = ""
	if snap.Run != nil && snap.Run.Status == StatusRunning {
		s.holder.RunID = snap.Run.RunID
	}
	writeHolder(s.lock, s.holder)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotDurable, err)
	}
	return nil
}

// keepBackup runs between writing the new generation's temporary file and
// renaming it over the state file, so that at every instant one valid
// generation is at the state path or the backup path. A valid state file
// becomes the backup: hard-linked, or renamed where hard links are not
// supported (until the new file is renamed in, Open loads the backup).
// Otherwise the backup is kept, and an invalid state file (Load loaded the
// backup) is moved aside to path.corrupt for inspection.
func (s *fileStore) keepBackup() error {
	if !s.current {
		if err := s.fsys.Rename(s.path, s.path+".corrupt"); err != nil && !isMissing(err) {
			return fmt.Errorf("move invalid state file aside: %w", err)
		}
		return nil
	}
	if err := s.fsys.Remove(s.bakPath); err != nil && !isMissing(err) {
		return fmt.Errorf("keep backup: %w", err)
	}
	if lerr := s.fsys.Link(s.path, s.bakPath); lerr != nil {
		if err := s.fsys.Rename(s.path, s.bakPath); err != nil {
			return fmt.Errorf("keep backup: %w", errors.Join(lerr, err))
		}
		s.current = false
	}
	return nil
}

// String returns the path of the state file.
func (s *fileStore) String() string { return s.path }

// Close implements Store: it releases the lock. The holder's record stays
// in the lock file; it only matters while the lock is held.
func (s *fileStore) Close() error {
	if s.lock == nil {
		return nil
	}
	err := unlock(s.lock)
	if err != nil {
		err = fmt.Errorf("%s: unlock: %w", s.lockPath, err)
	}
	err = errors.Join(err, s.lock.Close())
	s.lock = nil
	return err
}
