package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// errWouldBlock is returned by tryLock when another holder has the lock.
var errWouldBlock = errors.New("lock is held")

// lockFile is a held kernel lock on a lock file. The kernel releases it when
// the process dies, so a crash never leaves a stale lock behind.
type lockFile struct {
	mu     sync.Mutex
	f      *os.File
	holder Holder
}

const (
	lockPollFirst = 10 * time.Millisecond
	lockPollMax   = 250 * time.Millisecond
)

// lockRequest holds what acquireLock needs from the resolved options.
type lockRequest struct {
	path     string // the state file, for messages
	lockPath string
	perm     fs.FileMode
	timeout  time.Duration
	holder   Holder
	now      func() time.Time
	wait     func(context.Context, time.Duration) error
}

// acquireLock takes the lock, polling until req.timeout has passed, and
// records req.holder in the lock file.
func acquireLock(ctx context.Context, req lockRequest) (*lockFile, error) {
	f, err := os.OpenFile(req.lockPath, os.O_RDWR|os.O_CREATE, req.perm)
	if err != nil {
		return nil, fmt.Errorf("statefile: open %s: lock: %w", req.path, err)
	}
	start := req.now()
	delay := lockPollFirst
	for {
		err := tryLock(f)
		if err == nil {
			break
		}
		if !errors.Is(err, errWouldBlock) {
			f.Close()
			return nil, fmt.Errorf("statefile: open %s: lock %s: %w", req.path, req.lockPath, err)
		}
		waited := req.now().Sub(start)
		if waited >= req.timeout {
			f.Close()
			lerr := &LockedError{Lock: req.lockPath}
			if req.timeout > 0 {
				lerr.Waited = waited
			}
			lerr.Holder, lerr.HolderErr = readHolder(ctx, req.lockPath, req.wait)
			return nil, lerr
		}
		if err := req.wait(ctx, min(delay, req.timeout-waited)); err != nil {
			f.Close()
			h, herr := readHolder(ctx, req.lockPath, nil)
			who := h.String()
			if herr != nil {
				who = "an unknown holder"
			}
			return nil, fmt.Errorf("statefile: open %s: waiting for the lock held by %s: %w", req.path, who, err)
		}
		delay = min(2*delay, lockPollMax)
	}
	l := &lockFile{f: f, holder: req.holder}
	if err := l.writeHolder(); err != nil {
		l.release()
		return nil, fmt.Errorf("statefile: open %s: record lock holder in %s: %w", req.path, req.lockPath, err)
	}
	return l, nil
}

// setRun records the current run ID (or none) in the lock file, so a
// second process that finds the lock held can name the run.
func (l *lockFile) setRun(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holder.RunID = id
	return l.writeHolderLocked()
}

func (l *lockFile) writeHolder() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeHolderLocked()
}

func (l *lockFile) writeHolderLocked() error {
	data, err := json.Marshal(l.holder)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	// Write before truncating, so that a reader never finds the file empty
	// once any holder has written to it.
	if _, err := l.f.WriteAt(data, 0); err != nil {
		return err
	}
	return l.f.Truncate(int64(len(data)))
}

// release unlocks and closes the lock file. The holder record stays in the
// file; it only matters while the lock is held.
func (l *lockFile) release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	uerr := unlock(l.f)
	cerr := l.f.Close()
	l.f = nil
	return errors.Join(uerr, cerr)
}

// readHolder reads the holder record. The holder writes it just after
// taking the lock, so an empty or half-written record is retried briefly
// when wait is not nil.
func readHolder(ctx context.Context, lockPath string, wait func(context.Context, time.Duration) error) (Holder, error) {
	var lastErr error
	for attempt := range 5 {
		if attempt > 0 {
			if wait == nil || wait(ctx, 10*time.Millisecond) != nil {
				break
			}
		}
		data, err := os.ReadFile(lockPath)
		if err != nil {
			return Holder{}, err
		}
		if len(data) == 0 {
			lastErr = errors.New("lock file is empty")
			continue
		}
		var h Holder
		if err := json.Unmarshal(data, &h); err != nil {
			lastErr = fmt.Errorf("lock file is not a holder record: %w", err)
			continue
		}
		if h.PID == 0 {
			lastErr = errors.New("lock file names no pid")
			continue
		}
		return h, nil
	}
	return Holder{}, lastErr
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
