package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/statefile"
)

func TestRunProcessesEveryRecordOnce(t *testing.T) {
	f := newJobFiles(t)
	f.writeRecords(t, 120)
	args := f.args(append([]string{"-checkpoint", "7", "-progress-interval", "1ns", "-fail-rate", "0.5", "-log-level", "debug"}, fast...)...)

	code, stderr := runInProcess(t, t.Context(), args...)
	if code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	checkAllOnce(t, readOutput(t, f.out), 120)

	rec := lastRun(t, f.state)
	if rec.Status != statefile.StatusSucceeded || rec.Items["processed"] != 120 || rec.Items["succeeded"] != 120 {
		t.Errorf("summary log: status %s, items %v; want succeeded with 120 processed and succeeded", rec.Status, rec.Items)
	}
	if rec.Items["retried"] == 0 {
		t.Errorf("summary log: no retries recorded with -fail-rate 0.5; items %v", rec.Items)
	}

	logs := logLines(t, stderr)
	for _, l := range logs {
		if l["run_id"] != rec.RunID {
			t.Errorf("log line without the run's run_id %s: %v", rec.RunID, l)
		}
	}
	if p := findLog(logs, "progress"); p == nil || p["rate_per_s"] == nil || p["done"] != 1.0 || p["percent"] != 0.0 {
		t.Errorf("no progress line after the first record with done, percent and rate_per_s: %v", p)
	}
	if r := findLog(logs, "retry: attempt failed, retrying"); r == nil || r["record_id"] == nil {
		t.Errorf("no retry warning carrying the record_id: %v", r)
	}
	if c := findLog(logs, "input complete"); c == nil || c["records"] != 120.0 || c["failed"] != 0.0 {
		t.Errorf("input complete line: %v; want 120 records, 0 failed", c)
	}

	// A second run finds the input complete: nothing is processed again.
	want, _ := os.ReadFile(f.out)
	code, stderr = runInProcess(t, t.Context(), args...)
	if code != 0 {
		t.Fatalf("second run: exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	if got, _ := os.ReadFile(f.out); !bytes.Equal(got, want) {
		t.Errorf("second run changed the output")
	}
	if c := findLog(logLines(t, stderr), "input complete"); c == nil || c["this_run"] != 0.0 || c["records"] != 120.0 {
		t.Errorf("second run: input complete line %v; want this_run 0 and records 120", c)
	}
}

func TestResumeRewritesWhatFollowsTheCheckpoint(t *testing.T) {
	f := newJobFiles(t)
	f.writeRecords(t, 60)
	args := f.args(append([]string{"-checkpoint", "7", "-fail-rate", "0.5"}, fast...)...)
	if code, stderr := runInProcess(t, t.Context(), args...); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
	}
	want, err := os.ReadFile(f.out)
	if err != nil {
		t.Fatal(err)
	}

	// Put the state back to what a run killed after line 20's checkpoint,
	// while writing line 61, leaves: a checkpoint at line 20, an output that
	// goes on past it, ending in a torn line.
	lines := readOutput(t, f.out)
	in, _ := os.ReadFile(f.in)
	cp := readCheckpointOrFail(t, f.state)
	cp.NextLine = 20
	cp.InputOffset = int64(nthLineEnd(in, 20))
	cp.OutputSize = int64(nthLineEnd(want, 20))
	cp.Totals = totals{Processed: 20, Succeeded: 20}
	for _, o := range lines[:20] {
		cp.Totals.Retried += int64(o.Attempts - 1)
	}
	setCheckpoint(t, f.state, cp)
	torn := []byte(`{"line":61,"id":"r-0`)
	appendFile(t, f.out, torn)

	code, stderr := runInProcess(t, t.Context(), args...)
	if code != 0 {
		t.Fatalf("resumed run: exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	got, _ := os.ReadFile(f.out)
	if !bytes.Equal(got, want) {
		t.Errorf("resumed output differs from an uninterrupted run's:\n got %d bytes\nwant %d bytes", len(got), len(want))
	}
	checkAllOnce(t, readOutput(t, f.out), 60)

	logs := logLines(t, stderr)
	started := findLog(logs, "batch job started")
	wantDiscarded := float64(len(want) - int(cp.OutputSize) + len(torn))
	if started["resume_at_line"] != 21.0 || started["discarded_output_bytes"] != wantDiscarded {
		t.Errorf("start line %v; want resume_at_line 21 and discarded_output_bytes %v", started, wantDiscarded)
	}
	if rec := lastRun(t, f.state); rec.Items["processed"] != 40 {
		t.Errorf("resumed run processed %d records, want 40", rec.Items["processed"])
	}
	if c := findLog(logs, "input complete"); c["records"] != 60.0 || c["this_run"] != 40.0 {
		t.Errorf("input complete line %v; want 60 records in all, 40 in this run", c)
	}
}

func TestRefusesStateThatDoesNotMatch(t *testing.T) {
	tests := []struct {
		name   string
		breakf func(t *testing.T, f jobFiles) []string // returns the arguments of the next run
		want   string
	}{
		{"output shorter than the checkpoint", func(t *testing.T, f jobFiles) []string {
			st, _ := os.Stat(f.out)
			if err := os.Truncate(f.out, st.Size()-10); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "shorter than the"},
		{"output missing", func(t *testing.T, f jobFiles) []string {
			if err := os.Remove(f.out); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "shorter than the"},
		{"output changed at the checkpoint", func(t *testing.T, f jobFiles) []string {
			data, _ := os.ReadFile(f.out)
			data[len(data)-1] = ' '
			if err := os.WriteFile(f.out, data, 0o644); err != nil {
				t.Fatal(err)
			}
			return nil
		}, "does not end a line at byte"},
		{"input changed", func(t *testing.T, f jobFiles) []string {
			appendFile(t, f.in, []byte(`{"id":"new","amount":1}`+"\n"))
			return nil
		}, "is not the input of the checkpoint"},
		{"another output", func(t *testing.T, f jobFiles) []string {
			return []string{"-in", f.in, "-out", filepath.Join(f.dir, "other.jsonl"), "-state", f.state}
		}, "holds the checkpoint of output"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newJobFiles(t)
			f.writeRecords(t, 10)
			if code, stderr := runInProcess(t, t.Context(), f.args(fast...)...); code != 0 {
				t.Fatalf("first run: exit code %d; stderr:\n%s", code, stderr)
			}
			args := tt.breakf(t, f)
			if args == nil {
				args = f.args()
			}
			before, _ := os.ReadFile(f.out)
			code, stderr := runInProcess(t, t.Context(), append(args, fast...)...)
			if code != 1 {
				t.Fatalf("exit code %d, want 1; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, stderr)
			}
			if after, _ := os.ReadFile(f.out); !bytes.Equal(after, before) {
				t.Errorf("the refused run changed the output")
			}
			if rec := lastRun(t, f.state); rec.Status != statefile.StatusFailed || !strings.Contains(rec.Error, tt.want) {
				t.Errorf("summary log: status %s, error %q; want failed, saying %q", rec.Status, rec.Error, tt.want)
			}
		})
	}
}

func TestRefusesOutputWithoutCheckpoint(t *testing.T) {
	f := newJobFiles(t)
	f.writeRecords(t, 3)
	mine := []byte("someone else's results\n")
	if err := os.WriteFile(f.out, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := runInProcess(t, t.Context(), f.args(fast...)...)
	if code != 1 || !strings.Contains(stderr, "has no checkpoint for it") {
		t.Fatalf("exit code %d, want 1 with a message about the output; stderr:\n%s", code, stderr)
	}
	if got, _ := os.ReadFile(f.out); !bytes.Equal(got, mine) {
		t.Errorf("the output was changed to %q", got)
	}

	// An empty output is fine: nothing can be lost.
	if err := os.WriteFile(f.out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The refused run saved no checkpoint, so this run starts afresh.
	if code, stderr := runInProcess(t, t.Context(), f.args(fast...)...); code != 0 {
		t.Fatalf("empty output: exit code %d, want 0; stderr:\n%s", code, stderr)
	}
	checkAllOnce(t, readOutput(t, f.out), 3)
}

func TestBadRecordsEndPartial(t *testing.T) {
	f := newJobFiles(t)
	long := `{"id":"long","pad":"` + strings.Repeat("x", maxLineBytes) + `"}`
	input := strings.Join([]string{
		`{"id":"r-00001","amount":1}`,
		`not json`,
		`[1,2]`,
		`{"amount":3}`,
		`{"id":7,"amount":1}`,
		`{"id":"a\u0001b","amount":1}`,
		`{"id":"neg","amount":-5}`,
		`   `,
		`{"id":"noamount"}`,
		long,
		`{"id":"r-00011","amount":11}` + "\r",
		`{"id":"r-00012","amount":12}`, // no newline at the end
	}, "\n")
	if err := os.WriteFile(f.in, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	args := f.args(append([]string{"-checkpoint", "3"}, fast...)...)
	code, stderr := runInProcess(t, t.Context(), args...)
	if code != 3 {
		t.Fatalf("exit code %d, want 3 (partial); stderr:\n%s", code, stderr)
	}

	want := []struct {
		line   int64
		id     string
		status string
		err    string
	}{
		{1, "r-00001", statusOK, ""},
		{2, "", statusFailed, "line 2 is not a JSON object"},
		{3, "", statusFailed, "line 3 is not a JSON object"},
		{4, "", statusFailed, `line 4 has no "id"`},
		{5, "", statusFailed, `line 5: "id" is not a string`},
		{6, "", statusFailed, "without control characters"},
		{7, "neg", statusFailed, "not retryable"},
		{9, "noamount", statusFailed, "not retryable"},
		{10, "", statusFailed, "longer than 1048576 bytes"},
		{11, "r-00011", statusOK, ""},
		{12, "r-00012", statusOK, ""},
	}
	lines := readOutput(t, f.out)
	if len(lines) != len(want) {
		t.Fatalf("output has %d lines, want %d: %+v", len(lines), len(want), lines)
	}
	for i, w := range want {
		o := lines[i]
		if o.Line != w.line || o.ID != w.id || o.Status != w.status || !strings.Contains(o.Error, w.err) || (w.err == "") != (o.Error == "") {
			t.Errorf("output line %d = line %d, id %q, status %q, error %q; want line %d, id %q, status %q, error containing %q",
				i+1, o.Line, o.ID, o.Status, o.Error, w.line, w.id, w.status, w.err)
		}
	}
	if lines[1].Input != "not json" || len(lines[8].Input) != maxInputEcho {
		t.Errorf("failed lines echo their input as %q and %d bytes; want %q and %d bytes", lines[1].Input, len(lines[8].Input), "not json", maxInputEcho)
	}
	if !strings.Contains(lines[6].Error, "VALIDATION") || string(lines[6].Record) != `{"id":"neg","amount":-5}` {
		t.Errorf("rejected record: error %q, record %s; want the dependency's VALIDATION problem and the record", lines[6].Error, lines[6].Record)
	}

	rec := lastRun(t, f.state)
	if rec.Status != statefile.StatusPartial || rec.ItemFailures != 8 || rec.Items["failed"] != 8 || rec.Items["succeeded"] != 3 {
		t.Errorf("summary log: status %s, %d item failures, items %v; want partial, 8 failures, 3 succeeded", rec.Status, rec.ItemFailures, rec.Items)
	}
	if len(rec.Failures) != 8 || rec.Failures[0].Item != "line 2" || rec.Failures[5].Item != "neg" {
		t.Errorf("summary log failures %+v; want 8, named by ID or line", rec.Failures)
	}

	// A later run that completes the same input is partial too: the output
	// still holds failed records.
	code, stderr = runInProcess(t, t.Context(), args...)
	if code != 3 {
		t.Fatalf("second run: exit code %d, want 3; stderr:\n%s", code, stderr)
	}
	if rec := lastRun(t, f.state); rec.Status != statefile.StatusPartial || len(rec.Failures) != 1 ||
		rec.Failures[0].Item != "earlier runs" || !strings.Contains(rec.Failures[0].Error, "8 records failed") {
		t.Errorf("second run: status %s, failures %+v; want partial naming the 8 earlier failures", rec.Status, rec.Failures)
	}
}

func TestRetriesExhaustedFailTheRecord(t *testing.T) {
	f := newJobFiles(t)
	f.writeRecords(t, 4)
	code, stderr := runInProcess(t, t.Context(), f.args(append([]string{"-fail-rate", "1", "-max-attempts", "1"}, fast...)...)...)
	if code != 3 {
		t.Fatalf("exit code %d, want 3; stderr:\n%s", code, stderr)
	}
	for _, o := range readOutput(t, f.out) {
		if o.Status != statusFailed || o.Attempts != 1 || !strings.Contains(o.Error, "retry: 1 attempt failed") {
			t.Errorf("line %d: status %q, attempts %d, error %q; want failed after 1 attempt", o.Line, o.Status, o.Attempts, o.Error)
		}
	}
	if rec := lastRun(t, f.state); rec.Items["retried"] != 0 || rec.ItemFailures != 4 {
		t.Errorf("summary log items %v, %d failures; want no retries, 4 failures", rec.Items, rec.ItemFailures)
	}
}

func TestCancelStopsAtARecordBoundary(t *testing.T) {
	f := newJobFiles(t)
	f.writeRecords(t, 200)
	args := f.args(append([]string{"-rate", "400", "-checkpoint", "1000", "-progress-interval", "1ns"}, fast...)...)

	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	var errb lockedBuffer
	done := make(chan int)
	go func() { done <- run(ctx, args, func(string) string { return "" }, &errb) }()
	waitFor(t, func() bool { return strings.Contains(errb.String(), `"msg":"progress"`) }, done)
	cancel(errors.New("told to stop"))
	code := <-done
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr:\n%s", code, errb.String())
	}

	rec := lastRun(t, f.state)
	if rec.Status != statefile.StatusFailed || !strings.Contains(rec.Error, "stopped before input line") ||
		!strings.Contains(rec.Error, "told to stop") {
		t.Errorf("summary log: status %s, error %q; want failed, stopped by the cancellation", rec.Status, rec.Error)
	}
	// The stop took a checkpoint: the output holds exactly the records it names.
	cp := readCheckpointOrFail(t, f.state)
	st, _ := os.Stat(f.out)
	lines := readOutput(t, f.out)
	if cp.OutputSize != st.Size() || int64(len(lines)) != cp.NextLine || cp.NextLine == 0 || cp.NextLine == 200 {
		t.Errorf("checkpoint at line %d, %d output bytes; output has %d bytes, %d lines; want them equal, mid-way", cp.NextLine, cp.OutputSize, st.Size(), len(lines))
	}

	code, stderr := runInProcess(t, t.Context(), f.args(fast...)...)
	if code != 0 {
		t.Fatalf("resumed run: exit code %d; stderr:\n%s", code, stderr)
	}
	checkAllOnce(t, readOutput(t, f.out), 200)
}

func TestSecondRunIsRefusedWhileTheLockIsHeld(t *testing.T) {
	f := newJobFiles(t)
	f.writeRecords(t, 3)
	held, err := statefile.Open[checkpoint](t.Context(), f.state, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	code, stderr := runInProcess(t, t.Context(), f.args(fast...)...)
	if code != exitLocked {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitLocked, stderr)
	}
	l := findLog(logLines(t, stderr), "another run holds the lock; not starting")
	if l == nil || !strings.Contains(l["error"].(string), "locked by another process") ||
		!strings.Contains(l["error"].(string), fmt.Sprintf("pid %d", os.Getpid())) || l["holder_pid"] != float64(os.Getpid()) {
		t.Errorf("lock message %v; want one naming the holder's pid %d", l, os.Getpid())
	}
	if _, err := os.Stat(f.out); !os.IsNotExist(err) {
		t.Errorf("the refused run created the output: %v", err)
	}
}

func TestDependencyURL(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rec struct{ ID string }
		if err := json.NewDecoder(r.Body).Decode(&rec); err != nil || r.Method != http.MethodPost ||
			r.URL.Path != "/enrich" || r.Header.Get("Idempotency-Key") != rec.ID || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		mu.Lock()
		calls[rec.ID]++
		n := calls[rec.ID]
		mu.Unlock()
		switch {
		case rec.ID == "r-00002" && n == 1:
			result.WriteProblem(w, r, result.Unavailable("", 0))
		case rec.ID == "r-00003":
			result.WriteProblem(w, r, result.NotFound("customer", "c-0111"))
		default:
			fmt.Fprintf(w, `{"tier":%d}`, n)
		}
	}))
	defer srv.Close()

	f := newJobFiles(t)
	f.writeRecords(t, 4)
	code, stderr := runInProcess(t, t.Context(), f.args("-dep-url", srv.URL+"/enrich", "-retry-delay", "1us")...)
	if code != 3 {
		t.Fatalf("exit code %d, want 3; stderr:\n%s", code, stderr)
	}
	lines := readOutput(t, f.out)
	if len(lines) != 4 || lines[1].Status != statusOK || lines[1].Attempts != 2 || string(lines[1].Enrichment) != `{"tier":2}` {
		t.Fatalf("retried record: %+v; want ok after 2 attempts", lines[1])
	}
	if o := lines[2]; o.Status != statusFailed || o.Attempts != 1 || !strings.Contains(o.Error, "NOT_FOUND") {
		t.Errorf("record answered 404: status %q after %d attempts, error %q; want failed at once with NOT_FOUND", o.Status, o.Attempts, o.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls["r-00003"] != 1 {
		t.Errorf("a 404 was retried: %d calls", calls["r-00003"])
	}
}

func TestFlags(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(`{"id":"a","amount":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.jsonl")
	base := []string{"-in", in, "-out", out}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-out", out}, "config: -in=: required"},
		{[]string{"-in", filepath.Join(dir, "missing"), "-out", out}, "-in=" + filepath.Join(dir, "missing") + ": must be an existing regular file"},
		{[]string{"-in", dir, "-out", out}, "-in=" + dir + ": must be an existing regular file"},
		{[]string{"-in", in}, "config: -out=: required"},
		{[]string{"-in", in, "-out", in}, "-in, -out and -state must be three different files"},
		{append(base, "-state", out), "-in, -out and -state must be three different files"},
		{[]string{"-in", in, "-out", filepath.Join(dir, "no", "out.jsonl")}, "its directory does not exist"},
		{append(base, "-checkpoint", "0"), "config: -checkpoint=0: must be at least 1"},
		{append(base, "-progress-interval", "0s"), "config: -progress-interval=0s: must be positive"},
		{append(base, "-rate", "-5"), "config: -rate=-5: must be between 0 and 1e6"},
		{append(base, "-dep-timeout", "0s"), "config: -dep-timeout=0s: must be positive"},
		{append(base, "-max-attempts", "0"), "config: -max-attempts=0: must be at least 1"},
		{append(base, "-retry-delay", "0s"), "config: -retry-delay=0s: must be positive"},
		{append(base, "-fail-rate", "1.5"), "config: -fail-rate=1.5: must be between 0 and 1"},
		{append(base, "-fail-rate", "NaN"), "config: -fail-rate=NaN: must be between 0 and 1"},
		{append(base, "-dep-retry-after", "-1s"), "config: -dep-retry-after=-1s: must not be negative"},
		{append(base, "-dep-url", "ftp://example.com"), "config: -dep-url=ftp://example.com: must be an http:// or https:// URL"},
		{append(base, "-log-level", "loud"), `invalid value "loud" for flag -log-level`},
		{append(base, "-log-format", "xml"), `invalid value "xml" for flag -log-format: must be json or text`},
		{append(base, "extra"), `config: unexpected argument "extra"`},
		{append(base, "-bogus"), "flag provided but not defined: -bogus"},
		{append(base, "-checkpoint", "many"), `invalid value "many" for flag -checkpoint`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stderr := runInProcess(t, t.Context(), tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit code %d, stderr %q; want %d and a message containing %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("bad flags left files behind: %v", entries)
	}

	code, stderr := runInProcess(t, t.Context(), "-h")
	if code != 0 || !strings.Contains(stderr, "Usage: batchjob") || !strings.Contains(stderr, "[$BATCHJOB_CHECKPOINT]") {
		t.Errorf("-h: exit code %d, stderr %q; want 0 and the usage with the environment variables", code, stderr)
	}
}

// TestFlagsFromTheEnvironment checks that each flag not on the command line
// takes its BATCHJOB_ variable, and that a bad one is named.
func TestFlagsFromTheEnvironment(t *testing.T) {
	f := newJobFiles(t)
	f.writeRecords(t, 3)
	env := map[string]string{"BATCHJOB_IN": f.in, "BATCHJOB_OUT": f.out, "BATCHJOB_CHECKPOINT": "1", "BATCHJOB_RETRY_DELAY": "1us", "BATCHJOB_DEP_RETRY_AFTER": "0s"}
	var stderr lockedBuffer
	if code := run(t.Context(), nil, func(k string) string { return env[k] }, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	checkAllOnce(t, readOutput(t, f.out), 3)

	env["BATCHJOB_CHECKPOINT"] = "0"
	stderr = lockedBuffer{}
	code := run(t.Context(), []string{"-out", f.out + ".2"}, func(k string) string { return env[k] }, &stderr)
	if want := "config: BATCHJOB_CHECKPOINT=0: must be at least 1\n"; code != exitUsage || stderr.String() != want {
		t.Errorf("exit code %d, stderr %q; want %d, %q", code, stderr.String(), exitUsage, want)
	}
}

func TestReadLine(t *testing.T) {
	long := strings.Repeat("y", 100)
	input := "a\r\n\nb\n" + long + "\n" + long + "x\nlast"
	r := bufio.NewReaderSize(strings.NewReader(input), 16) // the smallest buffer: long lines span reads
	type line struct {
		text    string
		n       int
		tooLong bool
	}
	want := []line{{"a", 3, false}, {"", 1, false}, {"b", 2, false}, {long, 101, false}, {long, 102, true}, {"last", 4, false}, {"", 0, false}}
	for i, w := range want {
		got, n, tooLong, err := readLine(r, 100)
		if string(got) != w.text || n != w.n || tooLong != w.tooLong {
			t.Errorf("line %d = %q, %d, %v; want %q, %d, %v", i, got, n, tooLong, w.text, w.n, w.tooLong)
		}
		if (i >= len(want)-2) != errors.Is(err, io.EOF) || (err != nil && !errors.Is(err, io.EOF)) {
			t.Errorf("line %d: error %v", i, err)
		}
	}
}

// waitFor polls cond until it holds, failing the test if done delivers
// first (the program ended) or it takes too long.
func waitFor(t *testing.T, cond func() bool, done <-chan int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case code := <-done:
			t.Fatalf("the program ended (exit code %d) before the condition held", code)
		case <-deadline:
			t.Fatal("timed out waiting")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// nthLineEnd returns the offset just past the n-th newline of data.
func nthLineEnd(data []byte, n int) int {
	off := 0
	for range n {
		off += bytes.IndexByte(data[off:], '\n') + 1
	}
	return off
}

func appendFile(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readCheckpointOrFail(t *testing.T, state string) checkpoint {
	t.Helper()
	cp, ok := readCheckpoint(t, state)
	if !ok {
		t.Fatalf("no state file at %s", state)
	}
	return cp
}

// setCheckpoint saves cp as the state, as the job would have.
func setCheckpoint(t *testing.T, state string, cp checkpoint) {
	t.Helper()
	sf, err := statefile.Open[checkpoint](t.Context(), state, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	if err := sf.Update(t.Context(), func(c *checkpoint) error { *c = cp; return nil }); err != nil {
		t.Fatal(err)
	}
}
