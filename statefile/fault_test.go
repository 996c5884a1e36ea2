package statefile

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestUpdateFailuresKeepPreviousState makes each step of the save inside
// Update fail and checks that the previous generation is the state, in
// memory and for the next process, that the error says what failed and
// where, and that the File keeps working.
func TestUpdateFailuresKeepPreviousState(t *testing.T) {
	cases := []struct {
		op, match string
		err       error
		want      string // in the error message
		// committed: the rename happened, so the new generation is the
		// state file and the previous one the backup.
		committed bool
	}{
		{"create", "state.json.tmp-", syscall.EACCES, "permission denied", false},
		{"write", "state.json.tmp-", syscall.ENOSPC, "no space left on device", false},
		{"sync", "state.json.tmp-", syscall.EIO, "sync", false},
		{"close", "state.json.tmp-", syscall.EIO, "close", false},
		{"remove", "state.json.bak", syscall.EACCES, "keep backup", false},
		{"rename", "=state.json", syscall.EIO, "rename", false},
		{"syncdir", "", syscall.EIO, "may not survive a power loss", true},
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			dir := tempDir(t)
			path := filepath.Join(dir, "state.json")
			ffs := &faultFS{}
			f := openFS[testState](t, path, nil, ffs)
			setCounter(t, f, 1)
			setCounter(t, f, 2)

			ffs.inject(tc.op, tc.match, tc.err)
			err := f.Update(t.Context(), func(s *testState) error { s.Counter = 3; return nil })
			if err == nil {
				t.Fatal("Update succeeded despite the injected failure")
			}
			if ffs.hits[tc.op] == 0 {
				t.Fatalf("the %s fault was never hit", tc.op)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("error %v does not match %v", err, tc.err)
			}
			mustContain(t, "error", err.Error(), "statefile: update "+path, "generation 3", tc.want)
			if temps := tempFiles(t, dir); len(temps) != 0 {
				t.Errorf("temporary files left after a failed save: %v", temps)
			}
			wantCounter, wantGen := 2, uint64(2)
			if tc.committed {
				wantCounter, wantGen = 3, 3
				if c := counterOf(t, path+".bak"); c != 2 {
					t.Errorf("backup counter = %d, want the previous generation's 2", c)
				}
			}
			if got := stateOf(t, f).Counter; got != wantCounter || f.Generation() != wantGen {
				t.Errorf("after the failed Update: counter %d generation %d, want %d generation %d",
					got, f.Generation(), wantCounter, wantGen)
			}

			// What the next process would load.
			next := openT[testState](t, copyState(t, path), nil)
			if got := stateOf(t, next).Counter; got != wantCounter || next.Generation() != wantGen {
				t.Errorf("next Open loads counter %d generation %d, want %d generation %d",
					got, next.Generation(), wantCounter, wantGen)
			}
			if next.Recovered() != nil {
				t.Errorf("next Open needed the backup: %v", next.Recovered())
			}

			// The File still works.
			ffs.clear()
			setCounter(t, f, 4)
			if c, g := counterOf(t, path), readEnv(t, path).Generation; c != 4 || g != wantGen+1 {
				t.Errorf("after the fault cleared: counter %d generation %d on disk, want 4 and %d", c, g, wantGen+1)
			}
			if c := counterOf(t, path+".bak"); c != wantCounter {
				t.Errorf("backup counter after retry = %d, want %d", c, wantCounter)
			}
		})
	}
}

// TestFailedLinkFallbackKeepsState covers a save whose backup had to be
// made by rename (no hard links) and whose final rename then failed: only
// the backup exists, and the next Open must load it.
func TestFailedLinkFallbackKeepsState(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	ffs := &faultFS{}
	f := openFS[testState](t, path, nil, ffs)
	setCounter(t, f, 1)
	ffs.inject("link", "", errors.ErrUnsupported)
	ffs.inject("rename", "=state.json", syscall.EIO)
	if err := f.Update(t.Context(), func(s *testState) error { s.Counter = 2; return nil }); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Update = %v, want EIO", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("state file exists (%v); the fallback should have moved it to the backup", err)
	}
	next := openT[testState](t, copyState(t, path), nil)
	if c := stateOf(t, next).Counter; c != 1 {
		t.Errorf("next Open counter = %d, want 1 from the backup", c)
	}
	if err := next.Recovered(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Recovered() = %v, want it to report the missing state file", err)
	}

	ffs.clear()
	setCounter(t, f, 2)
	if c := counterOf(t, path); c != 2 {
		t.Errorf("state counter = %d, want 2", c)
	}
	if c := counterOf(t, path+".bak"); c != 1 {
		t.Errorf("backup counter = %d, want 1", c)
	}
}

// TestFinishedRunNeverVanishes makes the write of a finished run's record
// fail with ENOSPC. The run must stay in the state until its record is in
// the summary log: found by the next process if this one dies, stored by
// the next Begin or by Close if it does not.
func TestFinishedRunNeverVanishes(t *testing.T) {
	finish := func(t *testing.T) (string, *faultFS, *File[testState], Record) {
		path := filepath.Join(tempDir(t), "state.json")
		ffs := &faultFS{}
		f := openFS[testState](t, path, nil, ffs)
		run, err := f.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		run.Add("processed", 7)
		ffs.inject("write", runsSuffix+".tmp-", syscall.ENOSPC)
		rec, err := run.Finish(nil)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Finish = %v, want ENOSPC", err)
		}
		mustContain(t, "error", err.Error(), "statefile: finish run "+run.ID()+" in "+path, path+runsSuffix)
		if rec.Status != StatusSucceeded || rec.Items["processed"] != 7 {
			t.Errorf("record = %+v, want succeeded with its counts even though it could not be stored", rec)
		}
		if recs, _ := ReadRuns(path, 0); len(recs) != 0 {
			t.Fatalf("summary log = %+v despite the failed write", recs)
		}
		if env := readEnv(t, path); env.Run == nil || env.Run.RunID != rec.RunID || env.Run.Status != StatusSucceeded {
			t.Fatalf("state file run = %+v, want the finished run %s kept", env.Run, rec.RunID)
		}
		return path, ffs, f, rec
	}
	wantLogged := func(t *testing.T, path string, rec Record) {
		t.Helper()
		recs, err := ReadRuns(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].RunID != rec.RunID || recs[0].Status != StatusSucceeded || recs[0].Items["processed"] != 7 {
			t.Errorf("summary log = %+v, want run %s succeeded once", recs, rec.RunID)
		}
		if env := readEnv(t, path); env.Run != nil {
			t.Errorf("state still names run %s after it was stored", env.Run.RunID)
		}
	}

	t.Run("the process dies", func(t *testing.T) {
		path, _, _, rec := finish(t)
		next := copyState(t, path)
		g := openT[testState](t, next, nil)
		// Open appended it as it ended, not as abandoned; the next save
		// drops it from the state.
		setCounter(t, g, 1)
		wantLogged(t, next, rec)
	})
	t.Run("the next Begin stores it", func(t *testing.T) {
		path, ffs, f, rec := finish(t)
		if _, err := f.Begin(t.Context()); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Begin while the record cannot be stored = %v, want ENOSPC", err)
		}
		ffs.clear()
		run, err := f.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := ReadRuns(path, 0)
		if len(recs) != 1 || recs[0].RunID != rec.RunID {
			t.Errorf("summary log = %+v, want the earlier run", recs)
		}
		if env := readEnv(t, path); env.Run == nil || env.Run.RunID != run.ID() {
			t.Errorf("state file run = %+v, want the new run", env.Run)
		}
	})
	t.Run("Close stores it", func(t *testing.T) {
		path, ffs, f, rec := finish(t)
		ffs.clear()
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		wantLogged(t, path, rec)
	})
	t.Run("the state cannot be saved either", func(t *testing.T) {
		path := filepath.Join(tempDir(t), "state.json")
		ffs := &faultFS{}
		f := openFS[testState](t, path, nil, ffs)
		run, err := f.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ffs.inject("write", "", syscall.ENOSPC)
		if _, err := run.Finish(nil); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Finish = %v, want ENOSPC", err)
		}
		// The disk still marks the run running: the next process
		// records it as abandoned rather than losing it.
		next := copyState(t, path)
		openT[testState](t, next, nil)
		recs, _ := ReadRuns(next, 0)
		if len(recs) != 1 || recs[0].RunID != run.ID() || recs[0].Status != StatusAbandoned {
			t.Errorf("summary log = %+v, want run %s abandoned", recs, run.ID())
		}
	})
}

func TestFinishSaveFailsAfterTheRecord(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	ffs := &faultFS{}
	f := openFS[testState](t, path, nil, ffs)
	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ffs.inject("sync", "state.json.tmp-", syscall.EIO)
	if _, err := run.Finish(nil); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Finish = %v, want EIO", err)
	}
	if env := readEnv(t, path); env.Run == nil || env.Run.RunID != run.ID() {
		t.Fatalf("state should still name the run, has %+v", env.Run)
	}
	// The next process finds the run in the summary log and must not
	// record it again as abandoned.
	next := copyState(t, path)
	openT[testState](t, next, nil)
	recs, err := ReadRuns(next, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Status != StatusSucceeded {
		t.Errorf("runs = %+v, want only the succeeded record", recs)
	}
}

// TestBeginSaveFailures makes the save that marks a run running fail. When
// the generation was not written, no run has begun; when only the directory
// fsync failed, the generation naming the run is the state file, so Begin
// must hand the run to the caller, who finishes it, and no run is left for
// the next Open to report abandoned.
func TestBeginSaveFailures(t *testing.T) {
	cases := []struct {
		op, match string
		committed bool
	}{
		{"sync", "state.json.tmp-", false},
		{"syncdir", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			path := filepath.Join(tempDir(t), "state.json")
			ffs := &faultFS{}
			f := openFS[testState](t, path, nil, ffs)
			setCounter(t, f, 1)

			ffs.inject(tc.op, tc.match, syscall.EIO)
			run, err := f.Begin(t.Context())
			ffs.clear()
			if !errors.Is(err, syscall.EIO) {
				t.Fatalf("Begin error = %v, want EIO", err)
			}
			mustContain(t, "error", err.Error(), "statefile: begin run in "+path)
			onDisk := readEnv(t, path).Run
			if !tc.committed {
				if run != nil {
					t.Fatalf("Begin returned run %s although its generation was not written", run.ID())
				}
				if onDisk != nil {
					t.Fatalf("state file names run %s", onDisk.RunID)
				}
				// No run is active, so the next Begin works.
				if run, err = f.Begin(t.Context()); err != nil {
					t.Fatalf("Begin after the fault cleared: %v", err)
				}
			} else {
				if run == nil {
					t.Fatal("Begin returned no run although the state file marks one running")
				}
				if onDisk == nil || onDisk.RunID != run.ID() {
					t.Fatalf("state file names run %+v, want %s", onDisk, run.ID())
				}
				var h Holder
				if err := json.Unmarshal(fileBytes(t, path+".lock"), &h); err != nil || h.RunID != run.ID() {
					t.Errorf("lock file holder = %+v (%v), want run %s", h, err, run.ID())
				}
			}
			if _, err := run.Finish(nil); err != nil {
				t.Fatalf("Finish: %v", err)
			}
			f.Close()

			next := openT[testState](t, path, nil)
			recs, err := next.LastRuns(t.Context(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].RunID != run.ID() || recs[0].Status != StatusSucceeded {
				t.Errorf("runs = %+v, want only run %s, succeeded", recs, run.ID())
			}
		})
	}
}
