package statefile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
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
var quiet = &statefile.Options{Logger: slog.New(slog.DiscardHandler)}

// A job that resumes from its cursor, records a run with one failed item
// and exits with the code for its outcome.
func Example() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()

	f, err := statefile.Open[Cursor](ctx, filepath.Join(dir, "sync.json"), quiet)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	run, err := f.Begin(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	var jobErr error
	for _, id := range []string{"order-1", "order-2", "order-x", "order-3"} {
		if id == "order-x" {
			run.ItemFailed(id, errors.New("malformed record"))
			continue
		}
		run.Add("processed", 1)
		if jobErr = f.Update(ctx, func(c *Cursor) error { c.Last = id; return nil }); jobErr != nil {
			break
		}
	}
	rec, err := run.Finish(jobErr)
	if err != nil {
		fmt.Println(err)
	}
	c, _ := f.State()
	fmt.Println(rec.Status, rec.Items["processed"], rec.ItemFailures, rec.Failures[0].Item)
	fmt.Println("resume after", c.Last)
	fmt.Println("exit code", statefile.ExitCode(rec.Status))
	// Output:
	// partial 3 1 order-x
	// resume after order-3
	// exit code 3
}

func ExampleOpen() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	path := filepath.Join(dir, "sync.json")

	// Nothing there yet: the zero state.
	f, err := statefile.Open[Cursor](ctx, path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _ := f.State()
	fmt.Printf("%q generation %d\n", c.Last, f.Generation())
	f.Update(ctx, func(c *Cursor) error { c.Last = "order-7"; return nil })
	f.Close()

	// The next run picks up where this one stopped.
	f, err = statefile.Open[Cursor](ctx, path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	c, _ = f.State()
	fmt.Printf("%q generation %d\n", c.Last, f.Generation())
	// Output:
	// "" generation 0
	// "order-7" generation 1
}

// A second Open of the same state fails while the first holds the lock; a
// job started by cron while the previous run is still going can exit
// quietly. With Options.LockTimeout, Open waits for the lock instead.
func ExampleOpen_locked() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	path := filepath.Join(dir, "sync.json")

	first, err := statefile.Open[Cursor](ctx, path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = statefile.Open[Cursor](ctx, path, nil)
	var locked *statefile.LockedError
	if errors.As(err, &locked) {
		fmt.Println("locked:", errors.Is(err, statefile.ErrLocked))
		fmt.Println("held by this process:", locked.Holder.PID == os.Getpid())
	}

	go func() {
		time.Sleep(50 * time.Millisecond)
		first.Close() // the previous run ends
	}()
	f, err := statefile.Open[Cursor](ctx, path, &statefile.Options{LockTimeout: time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	fmt.Println("got the lock")
	// Output:
	// locked: true
	// held by this process: true
	// got the lock
}

// The state file is JSON for operators and jq; its checksum covers the
// state's exact bytes.
func Example_fileFormat() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	path := filepath.Join(dir, "sync.json")

	f, _ := statefile.Open[Cursor](ctx, path, &statefile.Options{SchemaVersion: 2})
	defer f.Close()
	if err := f.Update(ctx, func(c *Cursor) error { c.Last = "order-7"; return nil }); err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	var doc map[string]json.RawMessage
	json.Unmarshal(data, &doc)
	for _, k := range []string{"format", "schema_version", "generation", "checksum", "state"} {
		fmt.Printf("%s: %s\n", k, doc[k])
	}
	// Output:
	// format: "harden.statefile/v1"
	// schema_version: 2
	// generation: 1
	// checksum: "sha256:b1f3e995f8af76ddcf38e2f81949d97b858559acf48c56ff82c83e14a15f367c"
	// state: {"last":"order-7"}
}

func ExampleFile_Update() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	f, _ := statefile.Open[Cursor](ctx, filepath.Join(dir, "sync.json"), quiet)
	defer f.Close()

	f.Update(ctx, func(c *Cursor) error { c.Last = "order-1"; return nil }) // saved
	err := f.Update(ctx, func(c *Cursor) error {
		c.Last = "order-2"
		return errors.New("order-2 was not delivered")
	})
	fmt.Println(err)
	c, _ := f.State()
	fmt.Println(c.Last, f.Generation()) // the failed update changed nothing
	// Output:
	// order-2 was not delivered
	// order-1 1
}

// A state file damaged on disk is replaced by its backup, and Open says so.
func ExampleFile_Recovered() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	path := filepath.Join(dir, "sync.json")

	f, _ := statefile.Open[Cursor](ctx, path, nil)
	for _, id := range []string{"order-1", "order-2"} {
		f.Update(ctx, func(c *Cursor) error { c.Last = id; return nil })
	}
	f.Close()
	os.WriteFile(path, []byte(`{"format": "harden.statefile/v1", "gen`), 0o600) // torn

	f, err := statefile.Open[Cursor](ctx, path, quiet)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	c, _ := f.State()
	fmt.Println("recovered:", errors.Is(f.Recovered(), statefile.ErrCorrupt))
	fmt.Println(c.Last, f.Generation())
	// Output:
	// recovered: true
	// order-1 1
}

// A run that never finishes (here: Close first; in life: a crash) is
// recorded as abandoned.
func ExampleFile_Begin() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	path := filepath.Join(dir, "sync.json")

	f, _ := statefile.Open[Cursor](ctx, path, quiet)
	run, err := f.Begin(ctx)
	if run == nil {
		fmt.Println(err) // no run has begun
		return
	}
	if err != nil {
		fmt.Println(err) // begun, but its mark may not survive a power loss
	}
	run.Add("processed", 40)
	f.Update(ctx, func(c *Cursor) error { c.Last = "order-40"; return nil }) // saves the run's progress too
	f.Close()

	runs, _ := statefile.ReadRuns(path, 1)
	fmt.Println(runs[0].RunID == run.ID(), runs[0].Status, runs[0].Items["processed"])
	// Output:
	// true abandoned 40
}

func ExampleRun_Finish() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	f, _ := statefile.Open[Cursor](ctx, filepath.Join(dir, "sync.json"), quiet)
	defer f.Close()

	run, _ := f.Begin(ctx)
	run.Add("processed", 12)
	rec, err := run.Finish(errors.New("upstream: 503 Service Unavailable"))
	if err != nil {
		fmt.Println(err) // the record is kept in the state until it can be stored
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
	ctx := context.Background()
	path := filepath.Join(dir, "sync.json")

	f, _ := statefile.Open[Cursor](ctx, path, quiet)
	run, _ := f.Begin(ctx)
	done, _ := run.Finish(nil)
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
	fmt.Println(check(done.Ended.Add(time.Hour)))
	fmt.Println(check(done.Ended.Add(27 * time.Hour)))
	// Output:
	// <nil>
	// last success 27h0m0s ago
}

func ExampleFile_LastRuns() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	f, _ := statefile.Open[Cursor](ctx, filepath.Join(dir, "sync.json"), &statefile.Options{Logger: quiet.Logger, KeepRuns: 2})
	defer f.Close()
	for _, err := range []error{nil, errors.New("timeout"), nil} {
		run, _ := f.Begin(ctx)
		run.Finish(err)
	}
	runs, _ := f.LastRuns(ctx, 0) // KeepRuns: only the newest two are kept
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
// states written by the old one.
func ExampleOptions() {
	dir, cleanup := exampleDir()
	defer cleanup()
	ctx := context.Background()
	path := filepath.Join(dir, "sync.json")

	type CursorV1 struct {
		LastID string `json:"last_id"`
	}
	old, _ := statefile.Open[CursorV1](ctx, path, nil)
	old.Update(ctx, func(c *CursorV1) error { c.LastID = "order-9"; return nil })
	old.Close()

	opts := &statefile.Options{
		Logger:        quiet.Logger,
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
	f, err := statefile.Open[Cursor](ctx, path, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	c, _ := f.State()
	fmt.Println(c.Last)
	// Output:
	// order-9
}

// OpenStore opens a File on any Store: here one that keeps a job in
// memory, shown in full below; in production, the PostgreSQL store of the
// statefile/pgstore module.
func ExampleOpenStore() {
	ctx := context.Background()
	job := &memJob{}
	f, err := statefile.OpenStore[Cursor](ctx, &memStore{job: job}, quiet)
	if err != nil {
		fmt.Println(err)
		return
	}
	f.Update(ctx, func(c *Cursor) error { c.Last = "order-3"; return nil })

	_, err = statefile.OpenStore[Cursor](ctx, &memStore{job: job}, quiet)
	fmt.Println(errors.Is(err, statefile.ErrLocked))
	f.Close()

	g, _ := statefile.OpenStore[Cursor](ctx, &memStore{job: job}, quiet)
	defer g.Close()
	c, _ := g.State()
	fmt.Println(c.Last, g.Generation())
	// Output:
	// true
	// order-3 1
}

// memJob is one job kept in memory, shared by the memStores opened on it.
type memJob struct {
	mu     sync.Mutex
	holder *statefile.Holder // the holder of the lock; nil when free
	snap   *statefile.Snapshot
	runs   []statefile.Record // oldest first
}

// memStore is a statefile.Store that keeps its job in memory.
type memStore struct {
	job *memJob
	me  *statefile.Holder // this store's holder while it holds the lock
}

func (s *memStore) String() string { return "memory" }

func (s *memStore) Lock(_ context.Context, h statefile.Holder) error {
	s.job.mu.Lock()
	defer s.job.mu.Unlock()
	if s.job.holder != nil {
		return &statefile.LockedError{Lock: "memory", Holder: *s.job.holder}
	}
	s.me, s.job.holder = &h, &h
	return nil
}

func (s *memStore) Load(context.Context) (*statefile.Snapshot, error) {
	s.job.mu.Lock()
	defer s.job.mu.Unlock()
	if s.job.snap == nil {
		return nil, nil
	}
	c := *s.job.snap
	return &c, nil
}

func (s *memStore) Save(_ context.Context, snap *statefile.Snapshot) error {
	s.job.mu.Lock()
	defer s.job.mu.Unlock()
	var gen uint64
	if s.job.snap != nil {
		gen = s.job.snap.Generation
	}
	if s.me == nil || s.job.holder != s.me || snap.Generation != gen+1 {
		return statefile.ErrLockLost
	}
	c := *snap
	c.State = bytes.Clone(snap.State)
	s.job.snap = &c
	s.me.RunID = ""
	if snap.Run != nil && snap.Run.Status == statefile.StatusRunning {
		s.me.RunID = snap.Run.RunID
	}
	return nil
}

func (s *memStore) AppendRun(_ context.Context, r statefile.Record, keep int) error {
	s.job.mu.Lock()
	defer s.job.mu.Unlock()
	if s.me == nil || s.job.holder != s.me {
		return statefile.ErrLockLost
	}
	s.job.runs = append(s.job.runs, r)
	s.job.runs = s.job.runs[max(0, len(s.job.runs)-keep):]
	return nil
}

func (s *memStore) ReadRuns(_ context.Context, n int) ([]statefile.Record, error) {
	s.job.mu.Lock()
	defer s.job.mu.Unlock()
	var out []statefile.Record
	for i := len(s.job.runs) - 1; i >= 0 && (n <= 0 || len(out) < n); i-- {
		out = append(out, s.job.runs[i])
	}
	return out, nil
}

func (s *memStore) Close() error {
	s.job.mu.Lock()
	defer s.job.mu.Unlock()
	if s.me != nil && s.job.holder == s.me {
		s.job.holder = nil
	}
	s.me = nil
	return nil
}
