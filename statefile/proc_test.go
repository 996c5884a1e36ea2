package statefile

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The process tests run this test binary again as a child; TestMain sends
// a child with helperEnv set to helperMain instead of the tests.
const (
	helperEnv     = "STATEFILE_TEST_HELPER"
	helperPathEnv = "STATEFILE_TEST_PATH"
)

func helperMain(mode string) int {
	path := os.Getenv(helperPathEnv)
	switch mode {
	case "race":
		return helperRace(path)
	case "saveloop":
		return helperSaveLoop(path)
	}
	fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
	return 2
}

// helperRace waits for "go" on stdin, tries to open path once, and reports
// "won" (then holds the lock until stdin closes) or "lost <error>".
func helperRace(path string) int {
	in := bufio.NewReader(os.Stdin)
	fmt.Println("ready")
	if line, _ := in.ReadString('\n'); line != "go\n" {
		return 2
	}
	f, err := Open[testState](context.Background(), path, &Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Printf("lost %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 0
	}
	fmt.Printf("won %d\n", os.Getpid())
	io.Copy(io.Discard, in) // hold the lock until the parent closes stdin
	if err := f.Close(); err != nil {
		return 1
	}
	return 0
}

// helperSaveLoop opens path, begins a run and saves forever, printing each
// generation after its save returns: "begun <run> <gen> <counter>", then
// "saved <gen> <counter>".
func helperSaveLoop(path string) int {
	ctx := context.Background()
	f, err := Open[testState](ctx, path, &Options{Logger: slog.New(slog.DiscardHandler), LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	run, err := f.Begin(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	st, err := f.State()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("begun %s %d %d\n", run.ID(), f.Generation(), st.Counter)
	for range 1_000_000 {
		var counter int
		run.Add("saved", 1)
		if err := f.Update(ctx, func(s *testState) error {
			s.Counter++
			counter = s.Counter
			s.Items = append(s.Items[:0], strings.Repeat("x", counter%4096)) // vary the size
			return nil
		}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("saved %d %d\n", f.Generation(), counter)
	}
	return 0
}

// child is a running helper process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr strings.Builder
}

func startChild(t *testing.T, mode, path string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$"), lines: make(chan string, 1024)}
	// GORACE: a race-enabled child would otherwise sleep a second at exit.
	c.cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path,
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	c.cmd.Stderr = &c.stderr
	stdin, err := c.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.stdin = stdin
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	return c
}

// next returns the child's next output line, or fails after a generous timeout.
func (c *child) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-c.lines:
		if !ok {
			t.Fatalf("child exited early; stderr: %s", c.stderr.String())
		}
		return line
	case <-time.After(30 * time.Second):
		t.Fatalf("no output from child in 30s; stderr: %s", c.stderr.String())
		return ""
	}
}

// rest drains the child's output until it exits, then waits for it.
func (c *child) rest() []string {
	c.stdin.Close()
	var out []string
	for line := range c.lines {
		out = append(out, line)
	}
	c.cmd.Wait()
	return out
}

func TestRacingOpensOneWins(t *testing.T) {
	host, _ := os.Hostname()
	for round := range 3 {
		path := filepath.Join(tempDir(t), "state.json")
		a, b := startChild(t, "race", path), startChild(t, "race", path)
		for _, c := range []*child{a, b} {
			if line := c.next(t); line != "ready" {
				t.Fatalf("child said %q, want ready", line)
			}
		}
		io.WriteString(a.stdin, "go\n")
		io.WriteString(b.stdin, "go\n")
		ra, rb := a.next(t), b.next(t)
		won, lost, winner := ra, rb, a
		if strings.HasPrefix(rb, "won ") {
			won, lost, winner = rb, ra, b
		}
		if !strings.HasPrefix(won, "won ") || !strings.HasPrefix(lost, "lost ") {
			t.Fatalf("round %d: outcomes %q and %q, want exactly one winner", round, ra, rb)
		}
		pid := strconv.Itoa(winner.cmd.Process.Pid)
		if won != "won "+pid {
			t.Errorf("winner says %q, its pid is %s", won, pid)
		}
		mustContain(t, "loser's error", lost, "statefile: "+path+".lock: locked by another process", "pid "+pid, "host "+host)
		a.rest()
		b.rest()
		if code := winner.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("winner exited with %d: %s", code, winner.stderr.String())
		}
	}
}
