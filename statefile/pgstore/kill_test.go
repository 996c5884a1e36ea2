package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// childEnv names the job a re-executed test binary runs as a holder.
const childEnv = "PGSTORE_TEST_CHILD"

type counter struct{ N int }

var quiet = slog.New(slog.DiscardHandler)

// runChild is the holder process: it opens the job named by childEnv,
// begins a run and counts up, printing every acknowledged generation, until
// it is killed (or gives up after a minute).
func runChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(serverURL())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = testSchema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer pool.Close()
	f, err := statefile.OpenStore[counter](ctx, pgstore.New(pool, os.Getenv(childEnv)),
		&statefile.Options{LockTimeout: 10 * time.Second, Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer f.Close()
	run, err := f.Begin(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("run %s\n", run.ID())
	for ctx.Err() == nil {
		var n int
		err := f.Update(ctx, func(c *counter) error { c.N++; n = c.N; return nil })
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Printf("saved %d %d\n", f.Generation(), n)
	}
	return 3
}

// holderProcess is a child holding the job's lock.
type holderProcess struct {
	cmd   *exec.Cmd
	out   *bufio.Scanner
	runID string
	gen   uint64 // the last acknowledged generation
	n     int    // and its counter
}

// startHolder starts a child for name and waits until it has saved saves
// generations.
func startHolder(tb testing.TB, name string, saves int) *holderProcess {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name, "HARDEN_TEST_POSTGRES="+serverURL())
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	h := &holderProcess{cmd: cmd, out: bufio.NewScanner(stdout)}
	if !h.out.Scan() {
		cmd.Process.Kill()
		cmd.Wait()
		tb.Fatalf("holder process printed nothing: %v", h.out.Err())
	}
	if _, err := fmt.Sscanf(h.out.Text(), "run %s", &h.runID); err != nil {
		tb.Fatalf("holder process: %q: %v", h.out.Text(), err)
	}
	for range saves {
		h.next(tb)
	}
	return h
}

// next reads the next acknowledged generation; false at the end of output.
func (h *holderProcess) next(tb testing.TB) bool {
	if !h.out.Scan() {
		return false
	}
	if _, err := fmt.Sscanf(h.out.Text(), "saved %d %d", &h.gen, &h.n); err != nil {
		tb.Fatalf("holder process: %q: %v", h.out.Text(), err)
	}
	return true
}

// kill kills the holder with SIGKILL and reads what it acknowledged before
// it died.
func (h *holderProcess) kill(tb testing.TB) {
	if err := h.cmd.Process.Kill(); err != nil {
		tb.Fatal(err)
	}
	for h.next(tb) {
	}
	h.cmd.Wait()
}

// takeOver opens the job after h was killed at killed and checks what it
// finds; it returns how long after the kill the Open succeeded.
func takeOver(tb testing.TB, pool *pgxpool.Pool, name string, h *holderProcess, killed time.Time) time.Duration {
	tb.Helper()
	ctx := context.Background()
	f, err := statefile.OpenStore[counter](ctx, pgstore.New(pool, name),
		&statefile.Options{LockTimeout: 10 * time.Second, Logger: quiet})
	took := time.Since(killed)
	if err != nil {
		tb.Fatalf("Open after kill -9 (%v): %v", took, err)
	}
	defer f.Close()
	c, err := f.State()
	if err != nil {
		tb.Fatal(err)
	}
	// The killed holder's save in flight may or may not have committed.
	switch gen := f.Generation(); {
	case gen == h.gen && c.N == h.n, gen == h.gen+1 && c.N == h.n+1:
	default:
		tb.Fatalf("after kill -9: generation %d with N=%d; last acknowledged generation %d with N=%d", gen, c.N, h.gen, h.n)
	}
	runs, err := f.LastRuns(ctx, 1)
	if err != nil || len(runs) != 1 || runs[0].RunID != h.runID || runs[0].Status != statefile.StatusAbandoned {
		tb.Fatalf("newest run after kill -9 = %+v, %v; want run %s abandoned", runs, err, h.runID)
	}
	return took
}

func TestKill9InALoop(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	name := uniqueName(t)
	for round := range 5 {
		h := startHolder(t, name, 3+round)
		killed := time.Now()
		h.kill(t)
		took := takeOver(t, pool, name, h, killed)
		t.Logf("round %d: killed after generation %d; the next Open had the lock %v after the kill", round, h.gen, took)
		// The target is 1 s (see BenchmarkTakeoverAfterKill9); a test
		// bounds it only with ten times that headroom.
		if took > 10*time.Second {
			t.Fatalf("round %d: takeover took %v", round, took)
		}
	}
}

// BenchmarkTakeoverAfterKill9 measures, from kill -9 of the holder, how
// long the next Open takes to get the lock and load the state.
func BenchmarkTakeoverAfterKill9(b *testing.B) {
	pool := testPool(b)
	name := uniqueName(b)
	var total, worst time.Duration
	for b.Loop() {
		b.StopTimer()
		h := startHolder(b, name, 2)
		b.StartTimer()
		killed := time.Now()
		h.kill(b)
		took := takeOver(b, pool, name, h, killed)
		total, worst = total+took, max(worst, took)
	}
	b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/takeover")
	b.ReportMetric(float64(worst.Microseconds())/1e3, "ms-worst")
}
