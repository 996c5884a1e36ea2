package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/hardenkit/harden/statefile"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		removeProgram()
		os.Exit(code)
	}))
}

// fast makes retries and the stand-in instant, so tests spend their time on
// the job rather than on waits.
var fast = []string{"-retry-delay", "1us", "-dep-retry-after", "0s"}

// runInProcess runs the program in this process and returns its exit code
// and what it wrote.
func runInProcess(t *testing.T, ctx context.Context, args ...string) (code int, stderr string) {
	t.Helper()
	var errb lockedBuffer
	code = run(ctx, args, func(string) string { return "" }, &errb)
	return code, errb.String()
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// jobFiles names the files of one job in a fresh directory.
type jobFiles struct{ dir, in, out, state string }

func newJobFiles(t *testing.T) jobFiles {
	dir := t.TempDir()
	out := filepath.Join(dir, "results.jsonl")
	return jobFiles{dir: dir, in: filepath.Join(dir, "records.jsonl"), out: out, state: out + ".state"}
}

// args returns the program's arguments for these files, then extra.
func (f jobFiles) args(extra ...string) []string {
	return append([]string{"-in", f.in, "-out", f.out, "-state", f.state}, extra...)
}

// writeRecords writes n generated records to f.in.
func (f jobFiles) writeRecords(t *testing.T, n int) {
	t.Helper()
	if err := writeSample(f.in, n); err != nil {
		t.Fatal(err)
	}
}

// recordID is the ID writeSample gives record i (from 1) of an input of up
// to 99999 records.
func recordID(i int) string { return fmt.Sprintf("r-%05d", i) }

// readOutput parses the output file strictly: every line must be a complete
// JSON object of the output's shape, ending with a newline.
func readOutput(t *testing.T, path string) []outputLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseOutput(t, data)
}

func parseOutput(t *testing.T, data []byte) []outputLine {
	t.Helper()
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("output ends with a torn line: %q", tail(data))
	}
	if len(data) == 0 {
		return nil
	}
	var lines []outputLine
	for i, raw := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var o outputLine
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("output line %d is not a result: %v: %q", i+1, err, raw)
		}
		lines = append(lines, o)
	}
	return lines
}

func tail(b []byte) []byte { return b[max(0, len(b)-80):] }

// checkAllOnce checks that lines holds records 1 to n of a generated input,
// each exactly once, in input order, all succeeded.
func checkAllOnce(t *testing.T, lines []outputLine, n int) {
	t.Helper()
	seen := make(map[string]int, n)
	for i, o := range lines {
		seen[o.ID]++
		if seen[o.ID] == 2 {
			t.Errorf("record %s is in the output twice (second at output line %d)", o.ID, i+1)
		}
		if o.Line != int64(i+1) || o.ID != recordID(i+1) {
			t.Errorf("output line %d holds line %d, id %q; want line %d, id %q", i+1, o.Line, o.ID, i+1, recordID(i+1))
		}
		if o.Status != statusOK || len(o.Enrichment) == 0 || len(o.Record) == 0 || o.Attempts < 1 {
			t.Errorf("output line %d: got status %q, attempts %d, enrichment %s; want ok with an enrichment", i+1, o.Status, o.Attempts, o.Enrichment)
		}
		if t.Failed() && i > 20 {
			t.FailNow()
		}
	}
	if len(lines) != n {
		t.Fatalf("output holds %d records, want %d", len(lines), n)
	}
}

// logLines parses JSON log lines; it fails on a line that is not JSON.
func logLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %q", err, sc.Text())
		}
		recs = append(recs, m)
	}
	return recs
}

// findLog returns the first log record with message msg, or nil.
func findLog(recs []map[string]any, msg string) map[string]any {
	for _, r := range recs {
		if r["msg"] == msg {
			return r
		}
	}
	return nil
}

// lastRun returns the newest record of the summary log.
func lastRun(t *testing.T, state string) statefile.Record {
	t.Helper()
	runs, err := readRuns(t, state, 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ReadRuns(%s) = %v, %v; want one record", state, runs, err)
	}
	return runs[0]
}

// readCheckpoint reads the checkpoint from the state file without taking
// the lock (statefile.Open would record an abandoned run itself). ok is false
// when there is no state file yet.
func readCheckpoint(t *testing.T, state string) (cp checkpoint, ok bool) {
	t.Helper()
	if inPostgres(state) {
		return readPostgresCheckpoint(t, state)
	}
	data, err := os.ReadFile(state)
	if os.IsNotExist(err) {
		if data, err = os.ReadFile(state + ".bak"); os.IsNotExist(err) {
			return cp, false
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		State checkpoint `json:"state"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("state file %s: %v", state, err)
	}
	return env.State, true
}

// writeSample writes n sample records to a new file at path, one JSON object
// per line with an "id" (recordID) and an "amount". The same n gives the
// same file.
func writeSample(path string, n int) error {
	var b bytes.Buffer
	currencies := [...]string{"EUR", "USD", "GBP", "JPY"}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"id":"r-%05d","amount":%d.%02d,"currency":%q,"customer":"c-%04d"}`+"\n",
			i, (i*7919)%5000, (i*31)%100, currencies[i%len(currencies)], (i*37)%1000)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
