package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

func openFile(t *testing.T, pool *pgxpool.Pool, name string) *statefile.File[counter] {
	t.Helper()
	f, err := statefile.OpenStore[counter](ctxT(t), pgstore.New(pool, name),
		&statefile.Options{LockTimeout: 10 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func count(ctx context.Context, f *statefile.File[counter]) error {
	return f.Update(ctx, func(c *counter) error { c.N++; return nil })
}

// startJob opens name on a pool of its own, begins a run and saves three
// generations. The pool's sessions carry the application name app.
func startJob(t *testing.T, name, app string) (*pgxpool.Pool, *statefile.File[counter], *statefile.Run) {
	t.Helper()
	pool := newPool(t, testSchema, app)
	f := openFile(t, pool, name)
	run, err := f.Begin(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := count(ctxT(t), f); err != nil {
			t.Fatal(err)
		}
	}
	return pool, f, run
}

// checkTakeover opens name as the next holder and checks that it finds the
// state of the lost holder's last acknowledged save, N=3 in generation 4,
// and its run abandoned.
func checkTakeover(t *testing.T, name string, lost *statefile.Run) *statefile.File[counter] {
	t.Helper()
	next := openFile(t, testPool(t), name)
	c, err := next.State()
	if err != nil || next.Generation() != 4 || c.N != 3 {
		t.Fatalf("next holder loads generation %d, N=%d (%v); want generation 4, N=3", next.Generation(), c.N, err)
	}
	runs, err := next.LastRuns(ctxT(t), 0)
	if err != nil || len(runs) != 1 || runs[0].RunID != lost.ID() || runs[0].Status != statefile.StatusAbandoned {
		t.Fatalf("runs after the takeover = %+v, %v; want only run %s, abandoned", runs, err, lost.ID())
	}
	if err := count(ctxT(t), next); err != nil {
		t.Fatalf("the next holder cannot save: %v", err)
	}
	return next
}

// checkLost checks that a holder whose session ended cannot write.
func checkLost(t *testing.T, f *statefile.File[counter], run *statefile.Run) {
	t.Helper()
	if err := count(ctxT(t), f); !errors.Is(err, statefile.ErrLockLost) {
		t.Fatalf("Update after the lock's session ended = %v, want ErrLockLost", err)
	}
	if _, err := run.Finish(nil); !errors.Is(err, statefile.ErrLockLost) {
		t.Fatalf("Finish after the lock's session ended = %v, want ErrLockLost", err)
	}
}

func TestHolderBackendTerminatedMidJob(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	pool, f, run := startJob(t, name, uniqueName(t))
	sqlExec(t, pool, `SELECT pg_terminate_backend(backend_pid) FROM statefile_holders WHERE name = $1`, name)
	checkLost(t, f, run)
	checkTakeover(t, name, run)
	f.Close()
}

// A server restart ends every session of a holder at once; so does this,
// without disturbing other users of the server.
func TestAllHolderSessionsTerminated(t *testing.T) {
	t.Parallel()
	name, app := uniqueName(t), uniqueName(t)
	_, f, run := startJob(t, name, app)
	if n := sqlExec(t, testPool(t), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app); n < 2 {
		t.Fatalf("terminated %d sessions, want the lock's and the pool's", n)
	}
	checkLost(t, f, run)
	// The pool opens new sessions as needed: reads go on, writes cannot.
	if _, err := f.LastRuns(ctxT(t), 1); err != nil && !strings.Contains(err.Error(), "pgstore: read runs") {
		t.Fatalf("LastRuns after the sessions ended = %v", err)
	}
	next := checkTakeover(t, name, run)
	if err := count(ctxT(t), f); !errors.Is(err, statefile.ErrLockLost) {
		t.Fatalf("Update of the old holder after the takeover = %v, want ErrLockLost", err)
	}
	f.Close()
	if c, _ := next.State(); c.N != 4 {
		t.Fatalf("state after the old holder's close = N=%d, want 4", c.N)
	}
}

// Closing the pool leaves the lock's session, which the store took out of
// it: the job goes on saving, and only reads through the pool fail.
func TestPoolClosedUnderHolder(t *testing.T) {
	t.Parallel()
	name := uniqueName(t)
	pool, f, run := startJob(t, name, uniqueName(t))
	pool.Close()
	if err := count(ctxT(t), f); err != nil {
		t.Fatalf("Update after the pool closed: %v", err)
	}
	if _, err := f.LastRuns(ctxT(t), 1); err == nil || !strings.Contains(err.Error(), "pgstore: read runs") || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("LastRuns after the pool closed = %v, want an error saying the pool is closed", err)
	}
	if rec, err := run.Finish(nil); err != nil || rec.Status != statefile.StatusSucceeded {
		t.Fatalf("Finish after the pool closed = %+v, %v", rec, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	next := openFile(t, testPool(t), name)
	runs, err := next.LastRuns(ctxT(t), 0)
	if c, _ := next.State(); c.N != 4 || err != nil || len(runs) != 1 || runs[0].Status != statefile.StatusSucceeded {
		t.Fatalf("next holder finds N=%d and runs %+v (%v); want N=4 and the run succeeded", c.N, runs, err)
	}
}
