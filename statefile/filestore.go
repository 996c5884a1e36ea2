package statefile

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Open opens a File on the state file at path, as OpenStore does with the
// file store (see the package doc). It follows the symbolic links of path
// and its directories, even to a target that does not exist yet, so that a
// link and the real name take the same lock and a save leaves the link a
// link. An empty path, or one naming a directory, is refused before
// anything on disk is touched.
func Open[T any](ctx context.Context, path string, opts *Options) (*File[T], error) {
	s, err := newFileStore(path, cmp.Or(opts, &Options{}).Perm, osFS{})
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

// errNotDurable marks a save that stored the generation but could not
// fsync the directory.
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

// Lock implements Store with a kernel lock on the lock file, which names h.
func (s *fileStore) Lock(_ context.Context, h Holder) error {
	if s.lock != nil {
		return fmt.Errorf("%s: already locked by this store", s.lockPath)
	}
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, s.perm)
	if err != nil {
		return err
	}
	if err := tryLock(f); err != nil {
		_ = f.Close() // the lock's error is the one to report
		if !errors.Is(err, errWouldBlock) {
			return fmt.Errorf("%s: lock: %w", s.lockPath, err)
		}
		le := &LockedError{Lock: s.lockPath}
		le.Holder, le.HolderErr = readHolder(s.lockPath)
		return le
	}
	if err := writeHolder(f, h); err != nil {
		_ = unlock(f) // closing the file releases the lock anyway
		_ = f.Close()
		return fmt.Errorf("%s: record the holder: %w", s.lockPath, err)
	}
	s.lock, s.holder = f, h
	return nil
}

// errWouldBlock is returned by tryLock when another holder has the lock.
var errWouldBlock = errors.New("lock is held")

// writeHolder records h in the lock file f.
func writeHolder(f *os.File, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	// Write before truncating, so that a reader never finds it empty.
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Truncate(int64(len(data)))
}

// readHolder reads the holder's record, retrying briefly while it is empty
// or half-written (the holder writes it just after taking the lock).
func readHolder(lockPath string) (h Holder, err error) {
	for attempt := range 5 {
		if attempt > 0 {
			time.Sleep(10 * time.Millisecond) //hardenvet:ignore retryloop a bounded 40 ms wait for a record being written, only for a message
		}
		data, rerr := os.ReadFile(lockPath)
		if rerr != nil {
			return Holder{}, rerr
		}
		h = Holder{}
		switch jerr := json.Unmarshal(data, &h); {
		case len(data) == 0:
			err = errors.New("lock file is empty")
		case jerr != nil:
			err = fmt.Errorf("lock file is not a holder record: %w", jerr)
		case h.PID == 0:
			err = errors.New("lock file names no pid")
		default:
			return h, nil
		}
	}
	return Holder{}, err
}

// formatName is the "format" of the state files this package writes; another
// version of it is refused like a newer schema version.
const (
	formatName   = "harden.statefile/v1"
	formatPrefix = "harden.statefile/"
)

// envelope is a state file as it is on disk.
type envelope struct {
	Format        string          `json:"format"`
	SchemaVersion int             `json:"schema_version"`
	Generation    uint64          `json:"generation"`
	SavedAt       time.Time       `json:"saved_at"`
	Checksum      string          `json:"checksum"`
	Run           *Record         `json:"run,omitempty"`
	State         json.RawMessage `json:"state,omitempty"` // last, as its exact bytes (see encodeEnvelope)
}

// checksum returns the SHA-256 of state's exact bytes, as the file records it.
func checksum(state []byte) string {
	sum := sha256.Sum256(state)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// encodeEnvelope writes the header first, for head as well as jq, then the
// state's exact bytes, which the checksum covers (json.Marshal would not).
func encodeEnvelope(s *Snapshot) ([]byte, error) {
	head, err := json.MarshalIndent(envelope{Format: formatName, SchemaVersion: s.SchemaVersion, Generation: s.Generation,
		SavedAt: s.SavedAt.UTC(), Checksum: checksum(s.State), Run: s.Run}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	return fmt.Appendf(head[:len(head)-2], ",\n  \"state\": %s\n}\n", s.State), nil // head without its "\n}"
}

// readGeneration reads and verifies one generation. Its errors name the
// file, and match fs.ErrNotExist, ErrCorrupt or ErrNewerVersion if they can.
func readGeneration(name string) (*envelope, error) {
	data, err := os.ReadFile(name)
	if isMissing(err) {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	} else if err != nil {
		return nil, err
	}
	return decodeEnvelope(name, data)
}

func decodeEnvelope(name string, data []byte) (*envelope, error) {
	var env envelope
	err := json.Unmarshal(data, &env)
	var syn *json.SyntaxError
	sum := checksum(env.State)
	var reason string
	switch {
	case len(data) == 0:
		reason = "file is empty"
	case errors.As(err, &syn):
		reason = fmt.Sprintf("not valid JSON (torn or truncated write?): %v", err)
	case err != nil:
		reason = fmt.Sprintf("not a state file: %v", err)
	case env.Format != formatName && strings.HasPrefix(env.Format, formatPrefix):
		return nil, fmt.Errorf("%s: %w: format %q, this program reads %q; the file is left untouched",
			name, ErrNewerVersion, env.Format, formatName)
	case env.Format != formatName:
		reason = fmt.Sprintf("format is %q, want %q", env.Format, formatName)
	case env.SchemaVersion < 1:
		reason = fmt.Sprintf("schema_version is %d, want at least 1", env.SchemaVersion)
	case env.Generation < 1:
		reason = fmt.Sprintf("generation is %d, want at least 1", env.Generation)
	case env.State == nil:
		reason = "no state member"
	case sum != env.Checksum:
		reason = fmt.Sprintf("checksum mismatch: file says %q, state hashes to %s", env.Checksum, sum)
	default:
		return &env, nil
	}
	return nil, &corruptError{path: name, reason: reason}
}

// isMissing reports whether err says the file does not exist.
func isMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// corruptError says why one file failed verification; it matches ErrCorrupt.
type corruptError struct{ path, reason string }

func (e *corruptError) Error() string        { return e.path + ": " + e.reason }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

// Load implements Store: the state file, or the backup if it is missing or invalid.
func (s *fileStore) Load(context.Context) (*Snapshot, error) {
	removeTemps(s.path, s.logPath)
	env, err := readGeneration(s.path)
	s.current = err == nil
	var recovered error
	if err != nil {
		if !isMissing(err) && !errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		bak, berr := readGeneration(s.bakPath)
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

// Save implements Store with replaceFile and keepBackup.
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
	// The holder's record only serves messages: its failure is no error.
	s.holder.RunID = ""
	if snap.Run != nil && snap.Run.Status == StatusRunning {
		s.holder.RunID = snap.Run.RunID
	}
	_ = writeHolder(s.lock, s.holder)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotDurable, err)
	}
	return nil
}

// keepBackup runs just before the new generation is renamed over the state
// file, so that path or the backup always holds a valid generation: a valid
// state file becomes the backup (hard-linked, or renamed without link
// support); an invalid one is moved aside to path.corrupt.
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

// runsSuffix names the summary log beside a state file: "state.json" keeps
// its runs in "state.json.runs.jsonl".
const runsSuffix = ".runs.jsonl"

// AppendRun implements Store by replacing the small summary log with
// replaceFile, so that readers never see half a line.
func (s *fileStore) AppendRun(_ context.Context, r Record, keep int) error {
	if s.lock == nil {
		return fmt.Errorf("%s: %w: the lock is not held", s.logPath, ErrLockLost)
	}
	old, err := os.ReadFile(s.logPath)
	if err != nil && !isMissing(err) {
		return err // names the log
	}
	old = old[:bytes.LastIndexByte(old, '\n')+1] // without a torn last line
	for n := bytes.Count(old, []byte{'\n'}); n >= keep; n-- {
		old = old[bytes.IndexByte(old, '\n')+1:]
	}
	line, err := json.Marshal(r)
	if err == nil {
		_, err = replaceFile(s.fsys, s.logPath, append(append(old, line...), '\n'), s.perm, nil)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.logPath, err)
	}
	return nil
}

// ReadRuns returns up to n of the newest run records of the state file at
// path, newest first (n <= 0: all; none yet: nil, nil), without the lock,
// so that a health check can call it while a job runs. A last line without
// its newline (a torn append) is skipped; any other line that is not a
// record is an error naming the log and the line's offset.
func ReadRuns(path string, n int) ([]Record, error) {
	if path == "" {
		return nil, errors.New("statefile: read runs: the path of the state file is empty")
	}
	real, err := resolvePath(path)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %s: %w", path+runsSuffix, err)
	}
	recs, err := (&fileStore{logPath: real + runsSuffix}).ReadRuns(context.Background(), n)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %w", err)
	}
	return recs, nil
}

// ReadRuns implements Store (see the function ReadRuns).
func (s *fileStore) ReadRuns(_ context.Context, n int) ([]Record, error) {
	data, err := os.ReadFile(s.logPath)
	if isMissing(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	var recs []Record
	for end := len(data); end > 0 && (n <= 0 || len(recs) < n); {
		start := bytes.LastIndexByte(data[:end-1], '\n') + 1
		line := data[start : end-1]
		end = start
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec Record
		err := json.Unmarshal(line, &rec)
		if err == nil && (rec.RunID == "" || rec.Status == "") {
			err = errors.New("not a run record (no run_id or status)")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: line at byte %d: %w", s.logPath, start, err)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// String returns the path of the state file.
func (s *fileStore) String() string { return s.path }

// Close implements Store: it releases the lock.
func (s *fileStore) Close() error {
	if s.lock == nil {
		return nil
	}
	err := errors.Join(unlock(s.lock), s.lock.Close())
	s.lock = nil
	return err
}
