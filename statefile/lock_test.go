package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"testing/synctest"
	"time"
)

func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)
	host, _ := os.Hostname()

	g, err := Open[testState](t.Context(), path, quietOptions())
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
	if le.Lock != path+".lock" {
		t.Errorf("Lock = %s, want %s.lock", le.Lock, path)
	}
	mustContain(t, "error", err.Error(), "statefile: "+path+".lock: locked", "pid "+strconv.Itoa(os.Getpid()), "host "+host)

	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := Open[testState](t.Context(), path, quietOptions())
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	h.Close()
}

func TestLockFileRecordsHolderAndRun(t *testing.T) {
	start := time.Now()
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)

	var h Holder
	if err := json.Unmarshal(fileBytes(t, path+".lock"), &h); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	if h.PID != os.Getpid() || h.Host == "" || h.Started.Before(start.Add(-time.Second)) || h.RunID != "" {
		t.Errorf("lock file holder = %+v", h)
	}

	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open[testState](t.Context(), path, quietOptions())
	mustContain(t, "error with a run active", err.Error(), "run "+run.ID())

	if _, err := run.Finish(nil); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(fileBytes(t, path+".lock"), &h)
	if h.RunID != "" {
		t.Errorf("lock file still names run %s after Finish", h.RunID)
	}
}

// The holder closes 25ms into the wait; Open polls after 10ms and 20ms more
// and gets the lock at 30ms.
func TestLockTimeoutWaitsForRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(tempDir(t), "state.json")
		holder := openT[testState](t, path, nil)
		setCounter(t, holder, 5)
		go func() {
			time.Sleep(25 * time.Millisecond)
			holder.Close()
		}()
		opts := quietOptions()
		opts.LockTimeout = time.Minute
		start := time.Now()
		f := openT[testState](t, path, opts)
		if waited := time.Since(start); waited != 30*time.Millisecond {
			t.Errorf("Open got the lock after %v, want 30ms", waited)
		}
		if got := stateOf(t, f).Counter; got != 5 {
			t.Errorf("Counter = %d, want 5", got)
		}
	})
}

func TestLockTimeoutExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(tempDir(t), "state.json")
		openT[testState](t, path, nil)
		opts := quietOptions()
		opts.LockTimeout = 2 * time.Second
		start := time.Now()
		_, err := Open[testState](t.Context(), path, opts)
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatalf("Open = %v, want a *LockedError", err)
		}
		if le.Waited != 2*time.Second || time.Since(start) != 2*time.Second {
			t.Errorf("Waited = %v after %v, want exactly the 2s timeout", le.Waited, time.Since(start))
		}
		mustContain(t, "error", err.Error(), "gave up after waiting 2s", "pid "+strconv.Itoa(os.Getpid()))
	})
}

func TestOpenCanceledWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(tempDir(t), "state.json")
		openT[testState](t, path, nil)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		opts := quietOptions()
		opts.LockTimeout = time.Hour
		_, err := Open[testState](ctx, path, opts)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Open = %v, want context.DeadlineExceeded", err)
		}
		mustContain(t, "error", err.Error(), "statefile: open "+path, "waiting for "+path+".lock, held by pid "+strconv.Itoa(os.Getpid()))
	})
}

func TestLockedErrorWithUnknownHolder(t *testing.T) {
	e := &LockedError{Lock: "/s.json.lock", HolderErr: errors.New("lock file is empty"), Waited: time.Second}
	want := "statefile: /s.json.lock: locked by another process: holder unknown (lock file is empty); gave up after waiting 1s"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}

func TestReadHolderRetriesAnEmptyRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lockPath := filepath.Join(tempDir(t), "s.lock")
		os.WriteFile(lockPath, nil, 0o600)
		go func() {
			time.Sleep(15 * time.Millisecond) // after the second read
			os.WriteFile(lockPath, []byte(`{"pid":77,"host":"h","started":"2026-06-11T02:00:00Z"}`+"\n"), 0o600)
		}()
		h, err := readHolder(t.Context(), lockPath)
		if err != nil || h.PID != 77 || h.Host != "h" {
			t.Errorf("readHolder = %+v, %v; want pid 77 after the holder wrote its record", h, err)
		}
		os.WriteFile(lockPath, nil, 0o600)
		if _, err = readHolder(t.Context(), lockPath); err == nil || err.Error() != "lock file is empty" {
			t.Errorf("readHolder of an empty file = %v", err)
		}
	})
}
