package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hardenkit/harden/statefile"
)

// The tests in this file and in e2e_unix_test.go build the program and run
// it as separate processes, as cron or systemd would.

// built is the program, built once for all the tests that need it.
var built struct {
	once sync.Once
	dir  string
	path string
	took time.Duration
	err  error
}

// program builds the program with the go tool of the running toolchain and
// returns the executable's path.
func program(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		start := time.Now()
		if built.dir, built.err = os.MkdirTemp("", "batchjob-e2e-"); built.err != nil {
			return
		}
		exe := filepath.Join(built.dir, "batchjob")
		if runtime.GOOS == "windows" {
			exe += ".exe"
		}
		// go test puts the bin directory of the toolchain running it first
		// on the PATH of the tests, so this is the go command that built
		// the test binary.
		goTool, err := exec.LookPath("go")
		if err != nil {
			built.err = fmt.Errorf("find the go command: %w", err)
			return
		}
		args := []string{"build", "-o", exe}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool, append(args, ".")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		built.path, built.took = exe, time.Since(start)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// removeProgram removes the built program; TestMain calls it at the end.
func removeProgram() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// proc is the program running as a process.
type proc struct {
	cmd     *exec.Cmd
	stderr  *watchWriter
	started <-chan struct{} // closed once the job has logged that it started
	done    chan struct{}   // closed once the process has ended
}

// startProc starts the program with args. The process is killed when the
// test ends, if it is still running.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(program(t), args...)
	w := newWatchWriter(`"msg":"batch job started"`)
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: w, started: w.seen, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the exit status is read from cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits for the process to end by itself and returns its exit code.
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("the program did not end within %v; stderr:\n%s", limit, p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitStarted waits until the job has logged that it started.
func (p *proc) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-p.started:
	case <-p.done:
		t.Fatalf("the program ended (exit code %d) before it started the job; stderr:\n%s", p.cmd.ProcessState.ExitCode(), p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("the job did not start within 30s; stderr:\n%s", p.stderr)
	}
}

// watchWriter keeps what is written to it and closes seen once it has seen
// want.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want []byte
	seen chan struct{}
	hit  bool
}

func newWatchWriter(want string) *watchWriter {
	return &watchWriter{want: []byte(want), seen: make(chan struct{})}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.hit && bytes.Contains(w.buf.Bytes(), w.want) {
		w.hit = true
		close(w.seen)
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// generateInput writes n sample records to path.
func generateInput(t *testing.T, path string, n int) {
	t.Helper()
	if err := writeSample(path, n); err != nil {
		t.Fatal(err)
	}
}

func TestE2ESecondStartFailsWithTheLockMessage(t *testing.T) {
	f := newJobFiles(t)
	generateInput(t, f.in, 2000)
	args := f.args(append([]string{"-rate", "100"}, fast...)...) // 20s: it is still running when the second one starts

	first := startProc(t, args...)
	first.waitStarted(t)
	started := findLog(logLines(t, first.stderr.String()), "batch job started")

	second := exec.Command(program(t), args...)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	err := second.Run()
	if code := second.ProcessState.ExitCode(); code != exitLocked {
		t.Fatalf("second start: exit code %d (%v), want %d; stderr:\n%s", code, err, exitLocked, stderr.String())
	}
	l := findLog(logLines(t, stderr.String()), "another run holds the lock; not starting")
	if l == nil {
		t.Fatalf("second start: no lock message in its stderr:\n%s", stderr.String())
	}
	msg, _ := l["error"].(string)
	for _, want := range []string{f.state, "locked by another process", fmt.Sprintf("pid %d", first.cmd.Process.Pid), started["run_id"].(string)} {
		if !strings.Contains(msg, want) {
			t.Errorf("lock message %q does not name %q", msg, want)
		}
	}
	if l["holder_run_id"] != started["run_id"] {
		t.Errorf("holder_run_id %v, want the first run's %v", l["holder_run_id"], started["run_id"])
	}

	// The first run was not disturbed.
	select {
	case <-first.done:
		t.Fatalf("the first run ended (exit code %d) when the second started", first.cmd.ProcessState.ExitCode())
	default:
	}
	_ = first.cmd.Process.Kill()
	<-first.done
}

func TestE2EMalformedRecordsEndPartial(t *testing.T) {
	f := newJobFiles(t)
	generateInput(t, f.in, 300)
	data, err := os.ReadFile(f.in)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	bad := map[int]string{ // line number: what breaks it
		5:   `{"id":"r-00005","amount":`,                 // torn JSON
		50:  `{"amount":50}`,                             // no id
		150: `{"id":"r-00150","amount":-150}`,            // rejected by the dependency with a 400
		299: `{"id":"r-00299","amount":1,"note":"ok"} x`, // trailing garbage
	}
	for n, l := range bad {
		lines[n-1] = l
	}
	if err := os.WriteFile(f.in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	p := startProc(t, f.args(append([]string{"-checkpoint", "20", "-fail-rate", "0.2"}, fast...)...)...)
	if code := p.wait(t, time.Minute); code != statefile.ExitCode(statefile.StatusPartial) {
		t.Fatalf("exit code %d, want %d (partial); stderr:\n%s", code, statefile.ExitCode(statefile.StatusPartial), p.stderr)
	}

	out := readOutput(t, f.out)
	if len(out) != 300 {
		t.Fatalf("output has %d lines, want 300", len(out))
	}
	for i, o := range out {
		n := i + 1
		_, isBad := bad[n]
		switch {
		case o.Line != int64(n):
			t.Errorf("output line %d holds input line %d", n, o.Line)
		case isBad && (o.Status != statusFailed || o.Error == ""):
			t.Errorf("malformed line %d: status %q, error %q; want failed with the reason", n, o.Status, o.Error)
		case !isBad && (o.Status != statusOK || o.ID != recordID(n)):
			t.Errorf("line %d: status %q, id %q; want ok, %s", n, o.Status, o.ID, recordID(n))
		}
	}
	if !strings.Contains(out[149].Error, "VALIDATION") || out[149].ID != "r-00150" {
		t.Errorf("line 150: id %q, error %q; want the dependency's VALIDATION problem", out[149].ID, out[149].Error)
	}

	rec := lastRun(t, f.state)
	if rec.Status != statefile.StatusPartial || rec.ItemFailures != 4 || rec.Items["succeeded"] != 296 {
		t.Errorf("summary log: status %s, %d item failures, items %v; want partial, 4, 296 succeeded", rec.Status, rec.ItemFailures, rec.Items)
	}
	var summary map[string]any
	for _, l := range logLines(t, p.stderr.String()) {
		if l["status"] == "partial" && l["run_id"] == rec.RunID {
			summary = l
		}
	}
	if msg, _ := summary["msg"].(string); summary == nil || summary["level"] != "WARN" || !strings.Contains(msg, "4 items failed") {
		t.Errorf("no WARN summary line for the partial run with 4 item failures in stderr:\n%s", p.stderr)
	}
}

func TestE2EBadFlagExitsWithUsageError(t *testing.T) {
	f := newJobFiles(t)
	generateInput(t, f.in, 1)
	p := startProc(t, f.args("-checkpoint", "0")...)
	if code := p.wait(t, time.Minute); code != exitUsage {
		t.Fatalf("exit code %d, want %d", code, exitUsage)
	}
	if got := p.stderr.String(); !strings.Contains(got, "config: -checkpoint=0: must be at least 1") {
		t.Errorf("stderr does not name the bad flag:\n%s", got)
	}
	if _, err := os.Stat(f.state); !os.IsNotExist(err) {
		t.Errorf("a bad flag left a state file: %v", err)
	}
}
