package statefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeRuns writes a summary log with records r0..r(n-1), oldest first.
func writeRuns(t *testing.T, path string, n int, tail string) {
	t.Helper()
	var b bytes.Buffer
	for i := range n {
		line, _ := json.Marshal(Record{RunID: fmt.Sprintf("r%d", i), Status: StatusSucceeded, PID: i,
			Error: strings.Repeat("x", i%7*40)})
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteString(tail)
	if err := os.WriteFile(path+runsSuffix, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func ids(recs []Record) string {
	var s []string
	for _, r := range recs {
		s = append(s, r.RunID)
	}
	return strings.Join(s, ",")
}

func TestReadRuns(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	if recs, err := ReadRuns(path, 5); recs != nil || err != nil {
		t.Errorf("ReadRuns with no log = %v, %v; want nil, nil", recs, err)
	}
	writeRuns(t, path, 5, "")
	cases := []struct {
		n    int
		want string
	}{
		{0, "r4,r3,r2,r1,r0"},
		{-1, "r4,r3,r2,r1,r0"},
		{2, "r4,r3"},
		{5, "r4,r3,r2,r1,r0"},
		{9, "r4,r3,r2,r1,r0"},
	}
	for _, tc := range cases {
		recs, err := ReadRuns(path, tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(recs); got != tc.want {
			t.Errorf("ReadRuns(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}

func TestReadRunsLargeLog(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	writeRuns(t, path, 2000, `{"run_id":"torn","sta`)
	for _, n := range []int{1, 3, 700, 0} {
		recs, err := ReadRuns(path, n)
		if err != nil {
			t.Fatalf("ReadRuns(%d): %v", n, err)
		}
		want := n
		if n == 0 {
			want = 2000
		}
		if len(recs) != want {
			t.Fatalf("ReadRuns(%d) returned %d records", n, len(recs))
		}
		for i, r := range recs {
			if wantID := fmt.Sprintf("r%d", 1999-i); r.RunID != wantID {
				t.Fatalf("ReadRuns(%d)[%d] = %s, want %s", n, i, r.RunID, wantID)
			}
		}
	}
}

func TestReadRunsTornLastLine(t *testing.T) {
	for _, tail := range []string{`{"run_id":"r9","status":"succ`, `{"run_id":"r9","status":"succeeded"}`, "\x00\x00\x00"} {
		path := filepath.Join(tempDir(t), "state.json")
		writeRuns(t, path, 3, tail)
		recs, err := ReadRuns(path, 0)
		if err != nil {
			t.Fatalf("tail %q: %v", tail, err)
		}
		if got := ids(recs); got != "r2,r1,r0" {
			t.Errorf("tail %q: ReadRuns = %s, want the unterminated line skipped", tail, got)
		}
	}
}

func TestReadRunsBadLine(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	os.WriteFile(path+runsSuffix, []byte(`{"run_id":"a","status":"succeeded"}`+"\nnot json\n"+`{"run_id":"b","status":"failed"}`+"\n"), 0o600)
	_, err := ReadRuns(path, 0)
	if err == nil {
		t.Fatal("ReadRuns accepted a line that is not JSON")
	}
	mustContain(t, "error", err.Error(), "statefile: read runs "+path+runsSuffix, "line at byte 36")

	os.WriteFile(path+runsSuffix, []byte(`{"pid":1}`+"\n"), 0o600)
	if _, err := ReadRuns(path, 0); err == nil || !strings.Contains(err.Error(), "not a run record") {
		t.Errorf("ReadRuns of a record without run_id = %v", err)
	}
	// Only the newest line is read, so damage further back does not matter.
	os.WriteFile(path+runsSuffix, []byte("garbage\n"+`{"run_id":"b","status":"failed"}`+"\n"), 0o600)
	if recs, err := ReadRuns(path, 1); err != nil || ids(recs) != "b" {
		t.Errorf("ReadRuns(1) = %v, %v", recs, err)
	}
}

func TestSummaryLogRetention(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "state.json")
	opts := quietOptions()
	opts.KeepRuns = 3
	f := openT[testState](t, path, opts)
	var want []string
	for range 7 {
		run, err := f.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := run.Finish(nil); err != nil {
			t.Fatal(err)
		}
		want = append([]string{run.ID()}, want...)
	}
	recs, err := ReadRuns(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(recs); got != strings.Join(want[:3], ",") {
		t.Errorf("kept runs = %s, want the newest three %v", got, want[:3])
	}
	if n := bytes.Count(fileBytes(t, path+runsSuffix), []byte{'\n'}); n != 3 {
		t.Errorf("log has %d lines, want 3", n)
	}
	if temps := tempFiles(t, dir); len(temps) != 0 {
		t.Errorf("temporary files left: %v", temps)
	}
}

func TestAppendCutsTornTail(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	writeRuns(t, path, 2, `{"run_id":"torn","sta`)
	f := openT[testState](t, path, nil)
	run, _ := f.Begin(t.Context())
	if _, err := run.Finish(nil); err != nil {
		t.Fatal(err)
	}
	data := fileBytes(t, path+runsSuffix)
	if bytes.Contains(data, []byte("torn")) {
		t.Errorf("the torn line is still in the log:\n%s", data)
	}
	recs, err := ReadRuns(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(recs); got != run.ID()+",r1,r0" {
		t.Errorf("runs = %s", got)
	}
}

func TestRecordJSON(t *testing.T) {
	start := time.Date(2026, 6, 11, 2, 0, 0, 0, time.UTC)
	line, err := json.Marshal(Record{RunID: "r", Status: StatusSucceeded, Started: start, Ended: start.Add(time.Second), PID: 9, Host: "h"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"run_id":"r","status":"succeeded","started":"2026-06-11T02:00:00Z","ended":"2026-06-11T02:00:01Z","pid":9,"host":"h"}`
	if string(line) != want {
		t.Errorf("record JSON = %s, want %s", line, want)
	}
}
