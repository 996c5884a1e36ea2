package statefile_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hardenkit/harden/statefile"
)

// Cursor is the state of the example job: how far it got.
type Cursor struct {
	Last string `json:"last"`
}

// exampleDir returns a fresh directory for an example's files.
func exampleDir() (string, func()) {
	dir, err := os.MkdirTemp("", "statefile-example")
	if err != nil {
		panic(err)
	}
	return dir, func() { os.RemoveAll(dir) }
}

// quiet keeps the examples' output to what they print.
var quiet = slog.New(slog.DiscardHandler)

// A job that resumes from its cursor, records a run with one failed item
// and exits with the code for its outcome.
func Example() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")

	f, err := statefile.Open[Cursor](path, &statefile.Options{Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	run, err := f.Begin(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"order-1", "order-2", "order-x", "order-3"} {
		if id == "order-x" {
			run.ItemFailed(id, errors.New("malformed record"))
			continue
		}
		run.Add("processed", 1)
		f.Update(func(c *Cursor) error { c.Last = id; return nil })
		if err := f.Save(); err != nil {
			run.Finish(err)
			return
		}
	}
	rec, err := run.Finish(nil)
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(rec.Status, rec.Items["processed"], rec.ItemFailures, rec.Failures[0].Item)
	fmt.Println("resume after", f.State().Last)
	fmt.Println("exit code", statefile.ExitCode(rec.Status))
	// Output:
	// partial 3 1 order-x
	// resume after order-3
	// exit code 3
}

func ExampleOpen() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")

	// Nothing there yet: the zero state.
	f, err := statefile.Open[Cursor](path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q generation %d\n", f.State().Last, f.Generation())
	f.Update(func(c *Cursor) error { c.Last = "order-7"; return nil })
	f.Save()
	f.Close()

	// The next run picks up where this one stopped.
	f, err = statefile.Open[Cursor](path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fmt.Printf("%q generation %d\n", f.State().Last, f.Generation())
	// Output:
	// "" generation 0
	// "order-7" generation 1
}

// A second Open of the same state fails while the first holds the lock; a
// job started by cron while the previous run is still going can exit
// quietly.
func ExampleOpen_locked() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")

	first, err := statefile.Open[Cursor](path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer first.Close()

	_, err = statefile.Open[Cursor](path, nil)
	var locked *statefile.LockedError
	if errors.As(err, &locked) {
		fmt.Println("locked:", errors.Is(err, statefile.ErrLocked))
		fmt.Println("held by this process:", locked.Holder.PID == os.Getpid())
	}
	// Output:
	// locked: true
	// held by this process: true
}

// OpenContext waits up to LockTimeout for the lock, and stops waiting when
// the context ends.
func ExampleOpenContext() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")

	first, _ := statefile.Open[Cursor](path, nil)
	go func() {
		time.Sleep(50 * time.Millisecond)
		first.Close() // the previous run ends
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f, err := statefile.OpenContext[Cursor](ctx, path, &statefile.Options{LockTimeout: 30 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fmt.Println("got the lock")
	// Output:
	// got the lock
}

func ExampleFile_Update() {
	dir, cleanup := exampleDir()
	defer cleanup()
	f, _ := statefile.Open[Cursor](filepath.Join(dir, "sync.json"), &statefile.Options{Logger: quiet})
	defer f.Close()

	f.Update(func(c *Cursor) error { c.Last = "order-1"; return nil })
	err := f.Update(func(c *Cursor) error {
		c.Last = "order-2"
		return errors.New("order-2 was not delivered")
	})
	fmt.Println(err)
	fmt.Println(f.State().Last) // the failed update changed nothing
	// Output:
	// order-2 was not delivered
	// order-1
}

// The state file is JSON for operators and jq; its checksum covers the
// state's exact bytes.
func ExampleFile_Save() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")
	now := func() time.Time { return time.Date(2026, 6, 11, 2, 0, 0, 0, time.UTC) }

	f, _ := statefile.Open[Cursor](path, &statefile.Options{SchemaVersion: 2, Now: now})
	defer f.Close()
	f.Update(func(c *Cursor) error { c.Last = "order-7"; return nil })
	if err := f.Save(); err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// {
	//   "format": "harden.statefile/v1",
	//   "schema_version": 2,
	//   "generation": 1,
	//   "saved_at": "2026-06-11T02:00:00Z",
	//   "checksum": "sha256:b1f3e995f8af76ddcf38e2f81949d97b858559acf48c56ff82c83e14a15f367c",
	//   "state": {"last":"order-7"}
	// }
}

// A state file damaged on disk is replaced by its backup, and Open says so.
func ExampleFile_Recovered() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")

	f, _ := statefile.Open[Cursor](path, nil)
	for _, id := range []string{"order-1", "order-2"} {
		f.Update(func(c *Cursor) error { c.Last = id; return nil })
		f.Save()
	}
	f.Close()
	os.WriteFile(path, []byte(`{"format": "harden.statefile/v1", "gen`), 0o600) // torn

	f, err := statefile.Open[Cursor](path, &statefile.Options{Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fmt.Println("recovered:", errors.Is(f.Recovered(), statefile.ErrCorrupt))
	fmt.Println(f.State().Last, f.Generation())
	// Output:
	// recovered: true
	// order-1 1
}

// A run that never finishes (here: Close first; in life: a crash) is
// recorded as abandoned.
func ExampleFile_Begin() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")

	f, _ := statefile.Open[Cursor](path, &statefile.Options{Logger: quiet})
	run, err := f.Begin(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	run.Add("processed", 40)
	f.Save() // records the run's progress with the state
	f.Close()

	runs, _ := statefile.ReadRuns(path, 1)
	fmt.Println(runs[0].RunID == run.ID(), runs[0].Status, runs[0].Items["processed"])
	// Output:
	// true abandoned 40
}

func ExampleRun_Finish() {
	dir, cleanup := exampleDir()
	defer cleanup()
	f, _ := statefile.Open[Cursor](filepath.Join(dir, "sync.json"), &statefile.Options{Logger: quiet})
	defer f.Close()

	run, _ := f.Begin(context.Background())
	run.Add("processed", 12)
	rec, err := run.Finish(errors.New("upstream: 503 Service Unavailable"))
	if err != nil {
		fmt.Println(err) // the run could not be recorded
	}
	fmt.Println(rec.Status, rec.Error)
	fmt.Println("exit code", statefile.ExitCode(rec.Status))
	// Output:
	// failed upstream: 503 Service Unavailable
	// exit code 1
}

// A health check that needs a successful run in the last 26 hours. ReadRuns
// does not take the lock, so it works while a run is going.
func ExampleReadRuns() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")
	day := time.Date(2026, 6, 11, 2, 0, 0, 0, time.UTC)
	now := func() time.Time { return day }

	f, _ := statefile.Open[Cursor](path, &statefile.Options{Logger: quiet, Now: now})
	for _, err := range []error{nil, errors.New("disk full")} {
		run, _ := f.Begin(context.Background())
		run.Finish(err)
		day = day.Add(24 * time.Hour)
	}
	f.Close()

	check := func(now time.Time) error {
		runs, err := statefile.ReadRuns(path, 0) // newest first
		if err != nil {
			return err
		}
		for _, r := range runs {
			if r.Status == statefile.StatusSucceeded {
				if age := now.Sub(r.Ended); age > 26*time.Hour {
					return fmt.Errorf("last success %v ago", age)
				}
				return nil
			}
		}
		return errors.New("no successful run recorded")
	}
	fmt.Println(check(time.Date(2026, 6, 12, 3, 0, 0, 0, time.UTC)))
	fmt.Println(check(time.Date(2026, 6, 12, 5, 0, 0, 0, time.UTC)))
	// Output:
	// <nil>
	// last success 27h0m0s ago
}

func ExampleFile_LastRuns() {
	dir, cleanup := exampleDir()
	defer cleanup()
	f, _ := statefile.Open[Cursor](filepath.Join(dir, "sync.json"), &statefile.Options{Logger: quiet, KeepRuns: 2})
	defer f.Close()
	for _, err := range []error{nil, errors.New("timeout"), nil} {
		run, _ := f.Begin(context.Background())
		run.Finish(err)
	}
	runs, _ := f.LastRuns(0) // KeepRuns: only the newest two are kept
	for _, r := range runs {
		fmt.Println(r.Status)
	}
	// Output:
	// succeeded
	// failed
}

func ExampleExitCode() {
	for _, s := range []statefile.Status{statefile.StatusSucceeded, statefile.StatusFailed, statefile.StatusPartial, statefile.StatusAbandoned} {
		fmt.Println(s, statefile.ExitCode(s))
	}
	// Output:
	// succeeded 0
	// failed 1
	// partial 3
	// abandoned 4
}

// A new version of the program renamed a field; the migration upgrades
// files written by the old one.
func ExampleOptions() {
	dir, cleanup := exampleDir()
	defer cleanup()
	path := filepath.Join(dir, "sync.json")

	type CursorV1 struct {
		LastID string `json:"last_id"`
	}
	old, _ := statefile.Open[CursorV1](path, nil)
	old.Update(func(c *CursorV1) error { c.LastID = "order-9"; return nil })
	old.Save()
	old.Close()

	opts := &statefile.Options{
		Logger:        quiet,
		SchemaVersion: 2,
		Migrations: map[int]func(json.RawMessage) (json.RawMessage, error){
			1: func(v1 json.RawMessage) (json.RawMessage, error) {
				var c CursorV1
				if err := json.Unmarshal(v1, &c); err != nil {
					return nil, err
				}
				return json.Marshal(Cursor{Last: c.LastID})
			},
		},
	}
	f, err := statefile.Open[Cursor](path, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fmt.Println(f.State().Last)
	// Output:
	// order-9
}

func ExampleRunsPath() {
	fmt.Println(statefile.RunsPath("/var/lib/sync/state.json"))
	// Output:
	// /var/lib/sync/state.json.runs.jsonl
}
