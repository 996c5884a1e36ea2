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

// TestSaveFailuresKeepPreviousState makes each step of a save fail and
// checks that the previous generation is still loadable, that the error
// says what failed and where, and that the File keeps working.
func TestSaveFailuresKeepPreviousState(t *testing.T) {
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
		{"syncdir", "", syscall.EIO, "fsync directory", true},
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			dir := tempDir(t)
			path := filepath.Join(dir, "state.json")
			ffs := &faultFS{}
			opts := quietOptions()
			opts.fsys = ffs
			f := openT[testState](t, path, opts)
			setCounter(t, f, 1)
			setCounter(t, f, 2)

			ffs.inject(tc.op, tc.match, tc.err)
			if err := f.Update(func(s *testState) error { s.Counter = 3; return nil }); err != nil {
				t.Fatal(err)
			}
			err := f.Save()
			if err == nil {
				t.Fatal("Save succeeded despite the injected failure")
			}
			if ffs.hits[tc.op] == 0 {
				t.Fatalf("the %s fault was never hit", tc.op)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("error %v does not match %v", err, tc.err)
			}
			mustContain(t, "error", err.Error(), "statefile: save "+path, "generation 3", tc.want)
			if temps := tempFiles(t, dir); len(temps) != 0 && !tc.committed {
				t.Errorf("temporary files left after a failed save: %v", temps)
			}

			// What the next process would load.
			next := openT[testState](t, copyState(t, path), nil)
			wantCounter, wantGen := 2, uint64(2)
			if tc.committed {
				wantCounter, wantGen = 3, 3
				if c := counterOf(t, path+".bak"); c != 2 {
					t.Errorf("backup counter = %d, want the previous generation's 2", c)
				}
			}
			if got := next.State().Counter; got != wantCounter || next.Generation() != wantGen {
				t.Errorf("next Open loads counter %d generation %d, want %d generation %d",
					got, next.Generation(), wantCounter, wantGen)
			}
			if next.Recovered() != nil {
				t.Errorf("next Open needed the backup: %v", next.Recovered())
			}

			// The File still works, and nothing was lost in memory.
			ffs.clear()
			if got := f.State().Counter; got != 3 {
				t.Errorf("State().Counter after failed save = %d, want 3", got)
			}
			if err := f.Save(); err != nil {
				t.Fatalf("Save after the fault cleared: %v", err)
			}
			wantGen = f.Generation()
			if c := counterOf(t, path); c != 3 {
				t.Errorf("counter after retry = %d, want 3", c)
			}
			if g := readEnv(t, path).Generation; g != wantGen || (g != 3 && g != 4) {
				t.Errorf("generation on disk %d, Generation() %d", g, wantGen)
			}
			if c := counterOf(t, path+".bak"); c != 2 && c != 3 {
				t.Errorf("backup counter after retry = %d", c)
			}
			if temps := tempFiles(t, dir); len(temps) != 0 {
				t.Errorf("temporary files left: %v", temps)
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
	opts := quietOptions()
	opts.fsys = ffs
	f := openT[testState](t, path, opts)
	setCounter(t, f, 1)
	ffs.inject("link", "", errors.ErrUnsupported)
	ffs.inject("rename", "=state.json", syscall.EIO)
	f.Update(func(s *testState) error { s.Counter = 2; return nil })
	if err := f.Save(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Save = %v, want EIO", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("state file exists (%v); the fallback should have moved it to the backup", err)
	}
	next := openT[testState](t, copyState(t, path), nil)
	if c := next.State().Counter; c != 1 {
		t.Errorf("next Open counter = %d, want 1 from the backup", c)
	}
	if err := next.Recovered(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Recovered() = %v, want it to report the missing state file", err)
	}

	ffs.clear()
	if err := f.Save(); err != nil {
		t.Fatalf("Save after the fault cleared: %v", err)
	}
	if c := counterOf(t, path); c != 2 {
		t.Errorf("state counter = %d, want 2", c)
	}
	if c := counterOf(t, path+".bak"); c != 1 {
		t.Errorf("backup counter = %d, want 1", c)
	}
}

func TestFinishRecordFailures(t *testing.T) {
	t.Run("summary log write fails", func(t *testing.T) {
		path := filepath.Join(tempDir(t), "state.json")
		ffs := &faultFS{}
		opts := quietOptions()
		opts.fsys = ffs
		f := openT[testState](t, path, opts)
		run, err := f.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ffs.inject("write", runsSuffix, syscall.ENOSPC)
		rec, err := run.Finish(nil)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Finish = %v, want ENOSPC", err)
		}
		mustContain(t, "error", err.Error(), "statefile: finish run "+run.ID(), path+runsSuffix)
		if rec.Status != StatusSucceeded {
			t.Errorf("record status = %s, want succeeded even though it could not be logged", rec.Status)
		}
		if env := readEnv(t, path); env.Run != nil {
			t.Errorf("state still names the run: %+v", env.Run)
		}
	})
	t.Run("state save fails after the log line", func(t *testing.T) {
		path := filepath.Join(tempDir(t), "state.json")
		ffs := &faultFS{}
		opts := quietOptions()
		opts.fsys = ffs
		f := openT[testState](t, path, opts)
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
	})
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
			opts := quietOptions()
			opts.fsys = ffs
			f := openT[testState](t, path, opts)
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
			recs, err := next.LastRuns(0)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].RunID != run.ID() || recs[0].Status != StatusSucceeded {
				t.Errorf("runs = %+v, want only run %s, succeeded", recs, run.ID())
			}
		})
	}
}
