package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)
	host, _ := os.Hostname()

	g, err := Open[testState](path, quietOptions())
	if err == nil {
		g.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("error %v does not match ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("error %T is not a *LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.Host != host || le.Holder.Started.IsZero() {
		t.Errorf("Holder = %+v, want pid %d host %s and a start time", le.Holder, os.Getpid(), host)
	}
	if le.Path != path || le.LockPath != path+".lock" {
		t.Errorf("Path, LockPath = %s, %s", le.Path, le.LockPath)
	}
	mustContain(t, "error", err.Error(), "statefile: open "+path, "locked", "pid "+strconv.Itoa(os.Getpid()), "host "+host, path+".lock")

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := Open[testState](path, quietOptions())
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	h.Close()
}

func TestLockFileRecordsHolderAndRun(t *testing.T) {
	clock := newFakeClock()
	path := filepath.Join(tempDir(t), "state.json")
	opts := quietOptions()
	opts.Now = clock.Now
	f := openT[testState](t, path, opts)

	var h Holder
	if err := json.Unmarshal(fileBytes(t, path+".lock"), &h); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	if h.PID != os.Getpid() || h.Host == "" || !h.Started.Equal(clock.Now()) || h.RunID != "" {
		t.Errorf("lock file holder = %+v", h)
	}

	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open[testState](path, quietOptions())
	mustContain(t, "error with a run active", err.Error(), "run "+run.ID())

	if _, err := run.Finish(nil); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(fileBytes(t, path+".lock"), &h)
	if h.RunID != "" {
		t.Errorf("lock file still names run %s after Finish", h.RunID)
	}
}

// lockWaiter is a fake wait seam: each wait advances the clock by d and
// calls onWait.
type lockWaiter struct {
	clock  *fakeClock
	waits  []time.Duration
	onWait func(n int)
}

func (w *lockWaiter) wait(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.waits = append(w.waits, d)
	w.clock.Advance(d)
	if w.onWait != nil {
		w.onWait(len(w.waits))
	}
	return nil
}

func TestLockTimeoutWaitsForRelease(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	holder := openT[testState](t, path, nil)
	setCounter(t, holder, 5)

	w := &lockWaiter{clock: newFakeClock()}
	w.onWait = func(n int) {
		if n == 3 {
			holder.Close()
		}
	}
	opts := quietOptions()
	opts.LockTimeout = time.Minute
	opts.lockClock = w.clock.Now
	opts.wait = w.wait
	f, err := Open[testState](path, opts)
	if err != nil {
		t.Fatalf("Open with LockTimeout after the holder closed: %v", err)
	}
	defer f.Close()
	if f.State().Counter != 5 {
		t.Errorf("Counter = %d, want 5", f.State().Counter)
	}
	want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	if len(w.waits) != len(want) {
		t.Fatalf("waits = %v, want %v", w.waits, want)
	}
	for i := range want {
		if w.waits[i] != want[i] {
			t.Errorf("wait %d = %v, want %v", i, w.waits[i], want[i])
		}
	}
}

func TestLockTimeoutExpires(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	openT[testState](t, path, nil)

	w := &lockWaiter{clock: newFakeClock()}
	opts := quietOptions()
	opts.LockTimeout = 2 * time.Second
	opts.lockClock = w.clock.Now
	opts.wait = w.wait
	_, err := Open[testState](path, opts)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("Open = %v, want a *LockedError", err)
	}
	if le.Waited != 2*time.Second {
		t.Errorf("Waited = %v, want 2s", le.Waited)
	}
	mustContain(t, "error", err.Error(), "gave up after waiting 2s", "pid "+strconv.Itoa(os.Getpid()))
	var total time.Duration
	for _, d := range w.waits {
		if d > lockPollMax {
			t.Errorf("a wait of %v exceeds the poll cap %v", d, lockPollMax)
		}
		total += d
	}
	if total != 2*time.Second {
		t.Errorf("waited %v in total, want exactly the timeout", total)
	}
}

func TestOpenContextCanceledWhileWaiting(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	openT[testState](t, path, nil)

	ctx, cancel := context.WithCancel(t.Context())
	w := &lockWaiter{clock: newFakeClock()}
	w.onWait = func(int) { cancel() }
	opts := quietOptions()
	opts.LockTimeout = time.Hour
	opts.lockClock = w.clock.Now
	opts.wait = w.wait
	_, err := OpenContext[testState](ctx, path, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("OpenContext = %v, want context.Canceled", err)
	}
	mustContain(t, "error", err.Error(), "statefile: open "+path, "waiting for the lock held by pid "+strconv.Itoa(os.Getpid()))
}

func TestLockedErrorWithUnknownHolder(t *testing.T) {
	e := &LockedError{Path: "/s.json", LockPath: "/s.json.lock", HolderErr: errors.New("lock file is empty")}
	want := "statefile: open /s.json: locked by another process: holder unknown (lock file is empty); lock file /s.json.lock"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestReadHolderRetriesAnEmptyRecord(t *testing.T) {
	lockPath := filepath.Join(tempDir(t), "s.lock")
	os.WriteFile(lockPath, nil, 0o600)
	calls := 0
	wait := func(context.Context, time.Duration) error {
		calls++
		if calls == 2 {
			os.WriteFile(lockPath, []byte(`{"pid":77,"host":"h","started":"2026-06-11T02:00:00Z"}`+"\n"), 0o600)
		}
		return nil
	}
	h, err := readHolder(t.Context(), lockPath, wait)
	if err != nil || h.PID != 77 || h.Host != "h" {
		t.Errorf("readHolder = %+v, %v; want pid 77 after the holder wrote its record", h, err)
	}
	os.WriteFile(lockPath, nil, 0o600)
	_, err = readHolder(t.Context(), lockPath, func(context.Context, time.Duration) error { return nil })
	if err == nil || err.Error() != "lock file is empty" {
		t.Errorf("readHolder of an empty file = %v", err)
	}
}

// LockTimeout is real time even when Options.Now is a fixed clock, as in
// reproducible output: a wait timed by Now would never end.
func TestLockTimeoutIgnoresOptionsNow(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	openT[testState](t, path, nil)

	opts := quietOptions()
	opts.LockTimeout = 30 * time.Millisecond
	fixed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	opts.Now = func() time.Time { return fixed }
	done := make(chan error, 1)
	go func() {
		_, err := Open[testState](path, opts)
		done <- err
	}()
	select {
	case err := <-done:
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatalf("Open = %v, want a *LockedError", err)
		}
		if le.Waited < opts.LockTimeout {
			t.Errorf("gave up after %v, want at least the %v LockTimeout", le.Waited, opts.LockTimeout)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open kept waiting for the lock with a fixed Options.Now")
	}
}
