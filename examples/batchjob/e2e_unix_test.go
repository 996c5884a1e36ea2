//go:build unix

package main

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hardenkit/harden/statefile"
)

// TestE2EKillAndResume kills the job with SIGKILL at random moments, starts
// it again each time, and checks that the output holds every record exactly
// once at every step and at the end: with its state in a file, and in
// PostgreSQL.
func TestE2EKillAndResume(t *testing.T) {
	t.Run("file", func(t *testing.T) { killAndResume(t, newJobFiles(t)) })
	t.Run("postgres", func(t *testing.T) {
		f := newJobFiles(t)
		f.state = postgresState(t)
		killAndResume(t, f)
	})
}

func killAndResume(t *testing.T, f jobFiles) {
	const (
		records  = 10000
		kills    = 12
		maxDelay = 300 * time.Millisecond
	)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("BATCHJOB_E2E_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("BATCHJOB_E2E_SEED: %v", err)
		}
	}
	t.Logf("kill schedule seed %d (BATCHJOB_E2E_SEED=%d repeats it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	generateInput(t, f.in, records)
	// At most 2500 records a second, so no run can finish the input within
	// maxDelay: every kill lands on a running job. A tenth of the records
	// fail once or twice (with 4 attempts allowed), so retries happen and
	// every record succeeds in the end.
	args := f.args(append([]string{"-checkpoint", "25", "-rate", "2500", "-fail-rate", "0.1", "-max-attempts", "4"}, fast...)...)

	begin := time.Now()
	afterStart := 0
	for i := range kills {
		p := startProc(t, args...)
		// Half the kills count their delay from the moment the job logged
		// its start, so they land mid-run; the other half from the process
		// start, so some land during start-up.
		fromStart := i%2 == 1
		if fromStart {
			p.waitStarted(t)
			afterStart++
		}
		delay := 3*time.Millisecond + time.Duration(rng.Int64N(int64(maxDelay)))
		select {
		case <-time.After(delay):
		case <-p.done:
		}
		_ = p.cmd.Process.Kill()
		<-p.done
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("kill %d: the program ended by itself (exit code %d) before the SIGKILL at %v; seed %d; stderr:\n%s",
				i+1, p.cmd.ProcessState.ExitCode(), delay, seed, p.stderr)
		}

		// What a kill leaves: a checkpoint, and an output whose first
		// output_size bytes hold exactly the records before next_line.
		cp, ok := readCheckpoint(t, f.state)
		data, _ := os.ReadFile(f.out)
		if !ok {
			if len(data) > 0 {
				t.Fatalf("kill %d: an output of %d bytes but no checkpoint; seed %d", i+1, len(data), seed)
			}
			t.Logf("kill %d after %v (from %s): before the first checkpoint", i+1, delay, map[bool]string{true: "job start", false: "process start"}[fromStart])
			continue
		}
		if int64(len(data)) < cp.OutputSize {
			t.Fatalf("kill %d: output has %d bytes, the checkpoint names %d; seed %d", i+1, len(data), cp.OutputSize, seed)
		}
		checkAllOnce(t, parseOutput(t, data[:cp.OutputSize]), int(cp.NextLine))
		t.Logf("kill %d after %v (from %s): checkpoint at line %d, %d output bytes past it",
			i+1, delay, map[bool]string{true: "job start", false: "process start"}[fromStart], cp.NextLine, int64(len(data))-cp.OutputSize)
	}
	killed := time.Since(begin)

	p := startProc(t, args...)
	if code := p.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("final run: exit code %d, want 0; seed %d; stderr:\n%s", code, seed, p.stderr)
	}
	t.Logf("%d kills took %v, the final run %v (program built in %v)", kills, killed.Round(time.Millisecond),
		(time.Since(begin) - killed).Round(time.Millisecond), built.took.Round(time.Millisecond))

	checkAllOnce(t, readOutput(t, f.out), records)

	runs, err := readRuns(t, f.state, 0)
	if err != nil {
		t.Fatal(err)
	}
	if runs[0].Status != statefile.StatusSucceeded {
		t.Errorf("last run: %s (%s), want succeeded", runs[0].Status, runs[0].Error)
	}
	abandoned := 0
	for _, r := range runs[1:] {
		if r.Status != statefile.StatusAbandoned {
			t.Errorf("run %s: %s, want abandoned: every run but the last was killed", r.RunID, r.Status)
		}
		abandoned++
	}
	// Every kill after the job logged its start hit a begun run.
	if abandoned < afterStart || abandoned > kills {
		t.Errorf("%d abandoned runs in the summary log, want between %d and %d", abandoned, afterStart, kills)
	}

	logs := logLines(t, p.stderr.String())
	// The last kill came after the job started, so the final run found that
	// run abandoned and logged it.
	foundAbandoned := false
	for _, l := range logs {
		foundAbandoned = foundAbandoned || (l["status"] == "abandoned" && l["run_id"] == runs[1].RunID && l["level"] == "ERROR")
	}
	if !foundAbandoned {
		t.Errorf("the final run did not log the abandoned run %s:\n%s", runs[1].RunID, p.stderr)
	}
	done := findLog(logs, "input complete")
	if done == nil || done["records"] != float64(records) || done["succeeded"] != float64(records) || done["failed"] != 0.0 {
		t.Errorf("input complete line %v; want %d records, all succeeded", done, records)
	}
	if r, _ := done["retried"].(float64); r == 0 {
		t.Errorf("no retries counted with -fail-rate 0.1: %v", done)
	}
}

// TestE2ESIGTERMStopsGracefully sends SIGTERM to a running job: it stops at a
// record boundary, takes a checkpoint, records a failed run that says why,
// and the next start completes the input.
func TestE2ESIGTERMStopsGracefully(t *testing.T) {
	const records = 2000
	f := newJobFiles(t)
	generateInput(t, f.in, records)
	// -checkpoint above the record count: only the stop itself checkpoints.
	p := startProc(t, f.args(append([]string{"-rate", "500", "-checkpoint", "100000"}, fast...)...)...)
	p.waitStarted(t)
	time.Sleep(200 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, 30*time.Second); code != statefile.ExitCode(statefile.StatusFailed) {
		t.Fatalf("exit code %d after SIGTERM, want %d; stderr:\n%s", code, statefile.ExitCode(statefile.StatusFailed), p.stderr)
	}

	rec := lastRun(t, f.state)
	if rec.Status != statefile.StatusFailed || !strings.Contains(rec.Error, "stopped before input line") ||
		!strings.Contains(rec.Error, "terminated signal received") {
		t.Errorf("summary log: status %s, error %q; want failed, stopped by SIGTERM", rec.Status, rec.Error)
	}
	if findLog(logLines(t, p.stderr.String()), "stopped; the next run resumes here") == nil {
		t.Errorf("no log line about the stop:\n%s", p.stderr)
	}
	cp := readCheckpointOrFail(t, f.state)
	st, err := os.Stat(f.out)
	if err != nil {
		t.Fatal(err)
	}
	if cp.OutputSize != st.Size() || cp.NextLine == 0 || cp.NextLine == records {
		t.Errorf("checkpoint at line %d naming %d output bytes, output %d bytes; want the stop's checkpoint to cover the whole output, mid-way", cp.NextLine, cp.OutputSize, st.Size())
	}
	checkAllOnce(t, readOutput(t, f.out), int(cp.NextLine))

	p = startProc(t, f.args(fast...)...)
	if code := p.wait(t, time.Minute); code != 0 {
		t.Fatalf("resumed run: exit code %d; stderr:\n%s", code, p.stderr)
	}
	checkAllOnce(t, readOutput(t, f.out), records)
}
