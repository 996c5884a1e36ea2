package pgstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func holder(host string) statefile.Holder {
	return statefile.Holder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Microsecond)}
}

func snap(gen uint64, state string) *statefile.Snapshot {
	return &statefile.Snapshot{Generation: gen, SchemaVersion: 1, SavedAt: time.Now().UTC(), State: json.RawMessage(state)}
}

// locked returns a store on pool that holds the lock for name.
func locked(t *testing.T, pool *pgxpool.Pool, name, host string) *pgstore.Store {
	t.Helper()
	s := pgstore.New(pool, name)
	t.Cleanup(func() { s.Close() })
	if err := s.Lock(ctxT(t), holder(host)); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	return s
}

// lockWithin retries Lock until it succeeds or d has passed: a session that
// ends releases its lock when the server has noticed.
func lockWithin(t *testing.T, s *pgstore.Store, h statefile.Holder, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := s.Lock(ctxT(t), h)
		if err == nil {
			return time.Since(start)
		}
		if !errors.Is(err, statefile.ErrLocked) || time.Since(start) > d {
			t.Fatalf("Lock after %v: %v", time.Since(start), err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustSave(t *testing.T, s *pgstore.Store, gen uint64, state string) {
	t.Helper()
	if err := s.Save(ctxT(t), snap(gen, state)); err != nil {
		t.Fatalf("Save generation %d: %v", gen, err)
	}
}

func wantState(t *testing.T, s *pgstore.Store, gen uint64, state string) {
	t.Helper()
	got, err := s.Load(ctxT(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got == nil || got.Generation != gen || string(got.State) != state || got.Recovered != nil {
		t.Fatalf("Load = %+v, want generation %d with state %s", got, gen, state)
	}
}

// sqlExec runs a statement on pool, failing the test on error.
func sqlExec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	tag, err := pool.Exec(ctxT(t), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag.RowsAffected()
}

func TestTwoPoolsRaceForOneName(t *testing.T) {
	t.Parallel()
	pools := []*pgxpool.Pool{testPool(t), testPool(t)}
	for round := range 5 {
		name := uniqueName(t)
		stores := make([]*pgstore.Store, len(pools))
		errs := make([]error, len(pools))
		hosts := make([]statefile.Holder, len(pools))
		var wg sync.WaitGroup
		for i, pool := range pools {
			stores[i] = pgstore.New(pool, name)
			hosts[i] = holder(fmt.Sprintf("host-%d", i))
			wg.Go(func() { errs[i] = stores[i].Lock(ctxT(t), hosts[i]) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("round %d: both stores hold the lock", round)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no store got the lock: %v", round, errs)
		}
		loser := 1 - winner
		var lerr *statefile.LockedError
		if !errors.As(errs[loser], &lerr) || !errors.Is(errs[loser], statefile.ErrLocked) {
			t.Fatalf("round %d: loser's error = %v, want a *LockedError", round, errs[loser])
		}
		// The holder records itself just after it takes the lock; the
		// loser, having read first, may not know it yet. Ask again now.
		if lerr.HolderErr != nil {
			err := stores[loser].Lock(ctxT(t), hosts[loser])
			if !errors.As(err, &lerr) {
				t.Fatalf("round %d: second Lock of the loser = %v", round, err)
			}
		}
		if lerr.HolderErr != nil || lerr.Holder != hosts[winner] {
			t.Fatalf("round %d: loser names %+v (%v), want %+v", round, lerr.Holder, lerr.HolderErr, hosts[winner])
		}
		if !strings.Contains(lerr.Error(), hosts[winner].Host) || !strings.Contains(lerr.Error(), name) {
			t.Fatalf("round %d: error %q names neither the holder's host nor the job", round, lerr)
		}
		for _, s := range stores {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestLockedErrorNamesTheRun(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	a := locked(t, pool, name, "host-a")
	s := snap(1, `{"n": 1}`)
	s.Run = &statefile.Record{RunID: "20260611T020000Z-1a2b3c4d5e6f", Status: statefile.StatusRunning}
	if err := a.Save(ctxT(t), s); err != nil {
		t.Fatal(err)
	}
	err := pgstore.New(pool, name).Lock(ctxT(t), holder("host-b"))
	var lerr *statefile.LockedError
	if !errors.As(err, &lerr) || lerr.Holder.RunID != s.Run.RunID || lerr.Holder.Host != "host-a" {
		t.Fatalf("Lock = %v, want a *LockedError naming host-a and run %s", err, s.Run.RunID)
	}
}

func TestCloseReleasesTheLock(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	a := locked(t, pool, name, "host-a")
	mustSave(t, a, 1, `{"n": 1}`)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := a.Save(ctxT(t), snap(2, `{}`)); err == nil {
		t.Fatal("Save after Close succeeded")
	}
	b := locked(t, pool, name, "host-b") // at once: Close ended the session
	wantState(t, b, 1, `{"n": 1}`)
}

// backendPID returns the server process of the session holding name's lock.
func backendPID(t *testing.T, pool *pgxpool.Pool, name string) int32 {
	t.Helper()
	var pid int32
	if err := pool.QueryRow(ctxT(t), `SELECT backend_pid FROM statefile_holders WHERE name = $1`, name).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestTerminatedBackendLosesTheLock(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	a := locked(t, pool, name, "host-a")
	mustSave(t, a, 1, `{"n": 1}`)
	mustSave(t, a, 2, `{"n": 2}`)
	sqlExec(t, pool, `SELECT pg_terminate_backend($1)`, backendPID(t, pool, name))

	b := pgstore.New(pool, name)
	defer b.Close()
	lockWithin(t, b, holder("host-b"), 10*time.Second)

	for gen := uint64(3); gen < 5; gen++ {
		err := a.Save(ctxT(t), snap(gen, `{"n": "lost"}`))
		if !errors.Is(err, statefile.ErrLockLost) {
			t.Fatalf("Save generation %d after the session was terminated = %v, want ErrLockLost", gen, err)
		}
	}
	if err := a.AppendRun(ctxT(t), statefile.Record{RunID: "x", Status: statefile.StatusSucceeded}, 10); !errors.Is(err, statefile.ErrLockLost) {
		t.Fatalf("AppendRun after the session was terminated = %v, want ErrLockLost", err)
	}
	wantState(t, b, 2, `{"n": 2}`)
	mustSave(t, b, 3, `{"n": 3}`)
	wantState(t, b, 3, `{"n": 3}`)
	if err := a.Close(); err != nil {
		t.Fatalf("Close of the store that lost its lock: %v", err)
	}
}

func TestSaveChecksTheGeneration(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	a := locked(t, pool, name, "host-a")
	mustSave(t, a, 1, `{"n": 1}`)
	if err := a.Save(ctxT(t), snap(1, `{"n": "again"}`)); !errors.Is(err, statefile.ErrLockLost) {
		t.Fatalf("second Save of generation 1 = %v, want ErrLockLost", err)
	}
	// Once lost, always lost, even for the right generation.
	if err := a.Save(ctxT(t), snap(2, `{"n": 2}`)); !errors.Is(err, statefile.ErrLockLost) {
		t.Fatalf("Save after a lost lock = %v, want ErrLockLost", err)
	}
	wantState(t, a, 1, `{"n": 1}`)

	// A generation saved behind the holder's back (here by hand) fences it out.
	other := uniqueName(t)
	b := locked(t, pool, other, "host-b")
	mustSave(t, b, 1, `{"n": 1}`)
	mustSave(t, b, 2, `{"n": 2}`)
	sqlExec(t, pool, `UPDATE statefile_state SET generation = 7 WHERE name = $1`, other)
	err := b.Save(ctxT(t), snap(3, `{"n": 3}`))
	if !errors.Is(err, statefile.ErrLockLost) || !strings.Contains(err.Error(), "not 2") {
		t.Fatalf("Save over a newer generation = %v, want ErrLockLost saying the stored generation is not 2", err)
	}
}

func TestLoadFallsBackToThePreviousGeneration(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	a := locked(t, pool, name, "host-a")
	mustSave(t, a, 1, `{"n": 1}`)
	mustSave(t, a, 2, `{"n": 2}`)
	wantState(t, a, 2, `{"n": 2}`)

	// Edited by hand with psql, without fixing the checksum.
	sqlExec(t, pool, `UPDATE statefile_state SET state = '{"n": 99}' WHERE name = $1`, name)
	got, err := a.Load(ctxT(t))
	if err != nil || got.Generation != 1 || string(got.State) != `{"n": 1}` || !errors.Is(got.Recovered, statefile.ErrCorrupt) {
		t.Fatalf("Load = %+v, %v; want generation 1, Recovered matching ErrCorrupt", got, err)
	}
	if !strings.Contains(got.Recovered.Error(), "checksum mismatch") {
		t.Fatalf("Recovered = %v, want it to say the checksum does not match", got.Recovered)
	}

	sqlExec(t, pool, `UPDATE statefile_state SET prev_state = '{"n": 98}' WHERE name = $1`, name)
	got, err = a.Load(ctxT(t))
	if !errors.Is(err, statefile.ErrCorrupt) || got != nil || !strings.Contains(err.Error(), "previous generation 1") {
		t.Fatalf("Load with both generations edited = %+v, %v; want an error matching ErrCorrupt naming both", got, err)
	}
}

func TestSaveReplacesADamagedGeneration(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	a := locked(t, pool, name, "host-a")
	mustSave(t, a, 1, `{"n": 1}`)
	mustSave(t, a, 2, `{"n": 2}`)
	a.Close()
	sqlExec(t, pool, `UPDATE statefile_state SET state = '{"n": 99}' WHERE name = $1`, name)

	b := locked(t, pool, name, "host-b")
	if got, err := b.Load(ctxT(t)); err != nil || got.Generation != 1 || got.Recovered == nil {
		t.Fatalf("Load = %+v, %v; want generation 1, recovered", got, err)
	}
	if err := b.Save(ctxT(t), snap(3, `{"n": 3}`)); !errors.Is(err, statefile.ErrLockLost) {
		t.Fatalf("Save of generation 3 after loading generation 1 = %v, want ErrLockLost", err)
	}
	b.Close()
	c := locked(t, pool, name, "host-c")
	c.Load(ctxT(t))
	mustSave(t, c, 2, `{"n": 2.5}`)
	wantState(t, c, 2, `{"n": 2.5}`)
	// The generation kept as the previous one is the valid generation 1.
	sqlExec(t, pool, `UPDATE statefile_state SET state = '{"n": 98}' WHERE name = $1`, name)
	if got, err := c.Load(ctxT(t)); err != nil || got.Generation != 1 || string(got.State) != `{"n": 1}` {
		t.Fatalf("Load = %+v, %v; want the previous generation 1", got, err)
	}
}

func TestRunsKeepTheNewest(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	a := locked(t, pool, uniqueName(t), "host-a")
	other := locked(t, pool, uniqueName(t), "host-a")
	if err := other.AppendRun(ctxT(t), statefile.Record{RunID: "other", Status: statefile.StatusFailed}, 10); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 6, 11, 2, 0, 0, 0, time.UTC)
	statuses := []statefile.Status{statefile.StatusSucceeded, statefile.StatusFailed, statefile.StatusPartial, statefile.StatusAbandoned, statefile.StatusSucceeded}
	for i, st := range statuses {
		r := statefile.Record{RunID: fmt.Sprint("run-", i), Status: st, Started: start.Add(time.Duration(i) * time.Hour),
			Ended: start.Add(time.Duration(i)*time.Hour + time.Minute), Items: map[string]int64{"processed": int64(i)}}
		if err := a.AppendRun(ctxT(t), r, 3); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.ReadRuns(ctxT(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.RunID+":"+string(r.Status))
	}
	if want := "run-4:succeeded run-3:abandoned run-2:partial"; strings.Join(ids, " ") != want {
		t.Fatalf("ReadRuns(0) = %v, want %s", ids, want)
	}
	if got[0].Items["processed"] != 4 || !got[0].Ended.Equal(start.Add(4*time.Hour+time.Minute)) {
		t.Fatalf("newest record = %+v, want it as appended", got[0])
	}
	if got, err := a.ReadRuns(ctxT(t), 1); err != nil || len(got) != 1 || got[0].RunID != "run-4" {
		t.Fatalf("ReadRuns(1) = %+v, %v", got, err)
	}
	if got, err := pgstore.New(pool, uniqueName(t)).ReadRuns(ctxT(t), 5); err != nil || got != nil {
		t.Fatalf("ReadRuns of a job with no runs = %+v, %v; want nil, nil", got, err)
	}
	if err := a.AppendRun(ctxT(t), statefile.Record{RunID: "r"}, 0); err == nil {
		t.Fatal("AppendRun with keep 0 succeeded")
	}
}

func TestTablesInTheChosenSchema(t *testing.T) {
	t.Parallel()
	schema := "pgstore_" + strings.ToLower(uniqueName(t)[len(t.Name())+1:])
	pool := newPool(t, schema, uniqueName(t))
	defer sqlExec(t, pool, `DROP SCHEMA `+quoteIdent(schema)+` CASCADE`)
	a := locked(t, pool, "job", "host-a")
	mustSave(t, a, 1, `{"n": 1}`)
	var got string
	if err := pool.QueryRow(ctxT(t), `SELECT state::text FROM `+quoteIdent(schema)+`.statefile_state WHERE name = 'job'`).Scan(&got); err != nil || got != `{"n": 1}` {
		t.Fatalf("state in schema %s = %q, %v", schema, got, err)
	}
	a.Close()
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	if err := pgstore.New(nil, "job").Lock(ctx, holder("h")); err == nil || !strings.Contains(err.Error(), "pool is nil") {
		t.Errorf("Lock on a nil pool = %v", err)
	}
	pool := testPool(t)
	if _, err := pgstore.New(pool, "").Load(ctx); err == nil || !strings.Contains(err.Error(), "name is empty") {
		t.Errorf("Load with an empty name = %v", err)
	}
	a := pgstore.New(pool, uniqueName(t))
	defer a.Close()
	if err := a.Save(ctx, snap(1, `{}`)); err == nil || errors.Is(err, statefile.ErrLockLost) {
		t.Errorf("Save before Lock = %v, want an error that is not ErrLockLost", err)
	}
	if err := a.Lock(ctx, holder("h")); err != nil {
		t.Fatal(err)
	}
	if err := a.Lock(ctx, holder("h")); err == nil {
		t.Error("second Lock of one store succeeded")
	}
	for _, s := range []*statefile.Snapshot{nil, snap(0, `{}`), snap(1, `{"s": "\u0000"}`), snap(1, `{"a":`)} {
		if err := a.Save(ctx, s); err == nil || errors.Is(err, statefile.ErrLockLost) || !strings.HasPrefix(err.Error(), "pgstore: save") {
			t.Errorf("Save(%+v) = %v, want a pgstore error that is not ErrLockLost", s, err)
		}
	}
	mustSave(t, a, 1, `{"ok": true}`) // still usable
	wantState(t, a, 1, `{"ok": true}`)
}

func TestContextEnded(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	a := locked(t, pool, uniqueName(t), "host-a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Save(ctx, snap(1, `{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Save with an ended context = %v, want context.Canceled", err)
	}
	if _, err := a.ReadRuns(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadRuns with an ended context = %v, want context.Canceled", err)
	}
}

func TestMigrationOfTheUsersSchema(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	v1, err := statefile.OpenStore[map[string]int](ctxT(t), pgstore.New(pool, name), &statefile.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := v1.Update(ctxT(t), func(m *map[string]int) error { *m = map[string]int{"count": 7}; return nil }); err != nil {
		t.Fatal(err)
	}
	v1.Close()

	type v2State struct{ Total int }
	opts := &statefile.Options{Logger: quiet, SchemaVersion: 2, Migrations: map[int]func(json.RawMessage) (json.RawMessage, error){
		1: func(old json.RawMessage) (json.RawMessage, error) {
			var m map[string]int
			if err := json.Unmarshal(old, &m); err != nil {
				return nil, err
			}
			return json.Marshal(v2State{Total: m["count"]})
		},
	}}
	v2, err := statefile.OpenStore[v2State](ctxT(t), pgstore.New(pool, name), opts)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := v2.State(); err != nil || s.Total != 7 {
		t.Fatalf("migrated state = %+v, %v; want Total 7", s, err)
	}
	if err := v2.Update(ctxT(t), func(s *v2State) error { s.Total++; return nil }); err != nil {
		t.Fatal(err)
	}
	var version int
	var state string
	if err := pool.QueryRow(ctxT(t), `SELECT schema_version, state::text FROM statefile_state WHERE name = $1`, name).Scan(&version, &state); err != nil {
		t.Fatal(err)
	}
	if version != 2 || state != `{"Total": 8}` {
		t.Fatalf("row after the migrated save = schema_version %d, state %s", version, state)
	}
	v2.Close()
	// A program of the older version refuses the newer state.
	if _, err := statefile.OpenStore[map[string]int](ctxT(t), pgstore.New(pool, name), nil); !errors.Is(err, statefile.ErrNewerVersion) {
		t.Fatalf("OpenStore by the older version = %v, want ErrNewerVersion", err)
	}
}

// A save cut short by its context is cancelled on the server: nothing is
// stored and the store still holds the lock.
func TestSaveInterruptedByItsContext(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	a := locked(t, pool, name, "host-a")
	mustSave(t, a, 1, `{"n": 1}`)
	tx, err := pool.Begin(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctxT(t), `SELECT 1 FROM statefile_state WHERE name = $1 FOR UPDATE`, name); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctxT(t), 100*time.Millisecond)
	defer cancel()
	err = a.Save(ctx, snap(2, `{"n": 2}`))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, statefile.ErrLockLost) {
		t.Fatalf("Save blocked past its deadline = %v, want DeadlineExceeded, not ErrLockLost", err)
	}
	if err := tx.Rollback(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	wantState(t, a, 1, `{"n": 1}`)
	mustSave(t, a, 2, `{"n": 2}`)
	if err := pgstore.New(pool, name).Lock(ctxT(t), holder("host-b")); !errors.Is(err, statefile.ErrLocked) {
		t.Fatalf("Lock by another store = %v, want ErrLocked", err)
	}
}

// The lock's session is opened with the pool's hooks, once: a store that
// waits for the lock tries again on the same session.
func TestLockSessionUsesThePoolsHooksOnce(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	locked(t, testPool(t), name, "host-a")

	cfg, err := pgxpool.ParseConfig(serverURL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = testSchema
	var connects atomic.Int32
	app := uniqueName(t)
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		connects.Add(1)
		_, err := c.Exec(ctx, `SELECT set_config('application_name', $1, false)`, app)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	b := pgstore.New(pool, name)
	defer b.Close()
	var before int32
	for try := range 5 {
		if err := b.Lock(ctxT(t), holder("host-b")); !errors.Is(err, statefile.ErrLocked) {
			t.Fatalf("Lock = %v, want ErrLocked", err)
		}
		if try == 0 {
			before = connects.Load()
		}
	}
	if got := connects.Load(); got != before {
		t.Fatalf("4 more tries for the lock opened %d sessions, want none", got-before)
	}
	var n int
	err = pool.QueryRow(ctxT(t), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%'`, app).Scan(&n)
	if err != nil || n != 1 {
		t.Fatalf("%d sessions (%v) set up by the pool's hook tried the lock, want 1", n, err)
	}
}
