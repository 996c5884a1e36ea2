package statefile

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// findLog returns the first captured record at level whose message
// contains substr.
func findLog(recs []logRecord, level slog.Level, substr string) (logRecord, bool) {
	for _, r := range recs {
		if r.Level == level && strings.Contains(r.Msg, substr) {
			return r, true
		}
	}
	return logRecord{}, false
}

func TestRunSucceeded(t *testing.T) { synctest.Test(t, testRunSucceeded) }

func testRunSucceeded(t *testing.T) {
	start := time.Now()
	logger, logs := newCapture()
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, &Options{Logger: logger})
	setCounter(t, f, 1)

	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := regexp.MatchString(`^20000101T000000Z-[0-9a-f]{12}$`, run.ID()); !ok {
		t.Errorf("run ID %q is not <start time>-<12 hex>", run.ID())
	}
	if run.Status() != StatusRunning {
		t.Errorf("Status() = %s, want running", run.Status())
	}
	env := readEnv(t, path)
	if env.Run == nil || env.Run.RunID != run.ID() || env.Run.Status != StatusRunning ||
		env.Run.PID != os.Getpid() || !env.Run.Started.Equal(start) {
		t.Fatalf("state file run = %+v, want run %s marked running", env.Run, run.ID())
	}
	if env.Generation != 2 || counterOf(t, path) != 1 {
		t.Errorf("Begin saved generation %d counter %d, want 2 and the saved counter 1", env.Generation, counterOf(t, path))
	}

	run.Add("processed", 3)
	run.Add("skipped", 1)
	run.Add("processed", 2)
	setCounter(t, f, 2)
	if env := readEnv(t, path); env.Run == nil || env.Run.Items["processed"] != 5 {
		t.Errorf("Update did not record the run's progress: %+v", env.Run)
	}
	time.Sleep(90 * time.Second)
	rec, err := run.Finish(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusSucceeded || rec.Duration() != 90*time.Second || rec.Items["processed"] != 5 ||
		rec.Items["skipped"] != 1 || rec.Generation != 3 {
		t.Errorf("Finish record = %+v", rec)
	}
	if run.Status() != StatusSucceeded {
		t.Errorf("Status() after Finish = %s", run.Status())
	}

	if env := readEnv(t, path); env.Run != nil || env.Generation != 4 {
		t.Errorf("after Finish the state file has run %+v, generation %d; want no run, generation 4", env.Run, env.Generation)
	}
	recs, err := ReadRuns(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].RunID != run.ID() || recs[0].Status != StatusSucceeded || recs[0].Items["processed"] != 5 {
		t.Errorf("ReadRuns = %+v", recs)
	}
	l, ok := findLog(logs(), slog.LevelInfo, "succeeded")
	if !ok {
		t.Fatalf("no Info summary: %+v", logs())
	}
	wantMsg := "run " + run.ID() + " succeeded in 1m30s (processed=5 skipped=1)"
	if l.Msg != wantMsg {
		t.Errorf("summary = %q, want %q", l.Msg, wantMsg)
	}
	if l.Attrs["run_id"] != run.ID() || l.Attrs["status"] != "succeeded" || l.Attrs["store"] != path {
		t.Errorf("summary attrs = %v", l.Attrs)
	}
}

func TestRunPartialKeepsFirstFailures(t *testing.T) {
	logger, logs := newCapture()
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, &Options{Logger: logger, MaxItemFailures: 2})
	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		run.ItemFailed(fmt.Sprintf("file%d.csv", i), fmt.Errorf("parse row %d: bad date", i))
	}
	run.Add("processed", 10)
	rec, err := run.Finish(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusPartial || rec.ItemFailures != 5 || len(rec.Failures) != 2 {
		t.Fatalf("record = %+v, want partial with 5 failures counted and 2 kept", rec)
	}
	if rec.Failures[0] != (ItemFailure{Item: "file0.csv", Error: "parse row 0: bad date"}) || rec.Failures[1].Item != "file1.csv" {
		t.Errorf("kept failures = %+v, want the first two", rec.Failures)
	}
	l, ok := findLog(logs(), slog.LevelWarn, "partial")
	if !ok {
		t.Fatalf("no Warn summary for a partial run: %+v", logs())
	}
	mustContain(t, "summary", l.Msg, "5 items failed", `first "file0.csv": parse row 0: bad date`, "processed=10")
	if ExitCode(rec.Status) != 3 {
		t.Errorf("ExitCode(partial) = %d", ExitCode(rec.Status))
	}
}

func TestRunFailed(t *testing.T) {
	logger, logs := newCapture()
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, &Options{Logger: logger, MaxItemFailures: -1})
	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	run.ItemFailed("a", errors.New("x"))
	rec, err := run.Finish(errors.New("upstream: connection refused"))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != StatusFailed || rec.Error != "upstream: connection refused" || rec.ItemFailures != 1 || len(rec.Failures) != 0 {
		t.Errorf("record = %+v", rec)
	}
	l, ok := findLog(logs(), slog.LevelError, "failed after")
	if !ok {
		t.Fatalf("no Error summary: %+v", logs())
	}
	mustContain(t, "summary", l.Msg, "upstream: connection refused")
}

func TestAbandonedRunRecordedByNextOpen(t *testing.T) {
	synctest.Test(t, testAbandonedRunRecordedByNextOpen)
}

func testAbandonedRunRecordedByNextOpen(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)
	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	run.Add("processed", 3)
	run.ItemFailed("bad", errors.New("nope"))
	time.Sleep(time.Minute)
	setCounter(t, f, 3)
	saved := time.Now()

	// The process dies here: the next one sees the files as they are.
	crashed := copyState(t, path)
	time.Sleep(time.Hour)
	logger, logs := newCapture()
	g := openT[testState](t, crashed, &Options{Logger: logger})
	if stateOf(t, g).Counter != 3 {
		t.Errorf("Counter = %d, want 3", stateOf(t, g).Counter)
	}
	recs, err := ReadRuns(crashed, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("runs = %+v, want one abandoned record", recs)
	}
	r := recs[0]
	if r.RunID != run.ID() || r.Status != StatusAbandoned || r.Items["processed"] != 3 || r.ItemFailures != 1 ||
		!r.LastSaved.Equal(saved) || !r.Ended.Equal(time.Now()) || r.PID != os.Getpid() || r.Error == "" || r.Generation != 2 {
		t.Errorf("abandoned record = %+v", r)
	}
	l, ok := findLog(logs(), slog.LevelError, "abandoned")
	if !ok {
		t.Fatalf("no Error summary for the abandoned run: %+v", logs())
	}
	mustContain(t, "summary", l.Msg, run.ID(), "started 2000-01-01T00:00:00Z", "last saved 2000-01-01T00:01:00Z", "processed=3")

	// Opening again without a save in between must not record it twice.
	g.Close()
	h := openT[testState](t, crashed, quietOptions())
	h.Close()
	if recs, _ := ReadRuns(crashed, 0); len(recs) != 1 {
		t.Errorf("runs after a second Open = %+v, want still one", recs)
	}
}

func TestCloseAbandonsActiveRun(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	logger, logs := newCapture()
	f := openT[testState](t, path, &Options{Logger: logger})
	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if run.Status() != StatusAbandoned {
		t.Errorf("Status() after Close = %s, want abandoned", run.Status())
	}
	recs, _ := ReadRuns(path, 0)
	if len(recs) != 1 || recs[0].Status != StatusAbandoned || !strings.Contains(recs[0].Error, "Close was called before Finish") {
		t.Errorf("runs = %+v", recs)
	}
	if _, ok := findLog(logs(), slog.LevelError, "abandoned"); !ok {
		t.Errorf("no summary logged: %+v", logs())
	}
	if env := readEnv(t, path); env.Run != nil {
		t.Errorf("state still names the run after Close: %+v", env.Run)
	}
	rec, err := run.Finish(nil)
	if err == nil || rec.Status != StatusAbandoned {
		t.Errorf("Finish after Close = %+v, %v; want the abandoned record and an error", rec, err)
	}
	// The next Open has nothing to report.
	openT[testState](t, path, nil)
	if recs, _ := ReadRuns(path, 0); len(recs) != 1 {
		t.Errorf("runs after reopening = %d, want 1", len(recs))
	}
}

func TestOneRunAtATime(t *testing.T) {
	f := openT[testState](t, filepath.Join(tempDir(t), "state.json"), nil)
	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Begin(t.Context()); err == nil || !strings.Contains(err.Error(), run.ID()+" is still active") {
		t.Errorf("second Begin = %v, want an error naming the active run", err)
	}
	if _, err := run.Finish(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Finish(nil); err == nil || !strings.Contains(err.Error(), "already ended as succeeded") {
		t.Errorf("second Finish = %v", err)
	}
	run.Add("late", 1)
	run.ItemFailed("late", nil)
	if r := run.Record(); r.Items["late"] != 0 || r.ItemFailures != 0 {
		t.Errorf("Add and ItemFailed after Finish changed the record: %+v", r)
	}
	second, err := f.Begin(t.Context())
	if err != nil {
		t.Fatalf("Begin after Finish: %v", err)
	}
	if second.ID() == run.ID() {
		t.Error("two runs share an ID")
	}
	second.Finish(nil)
	if recs, _ := f.LastRuns(t.Context(), 0); len(recs) != 2 || recs[0].RunID != second.ID() {
		t.Errorf("LastRuns = %+v, want the second run first", recs)
	}
}

func TestRunConcurrentUse(t *testing.T) {
	f := openT[testState](t, filepath.Join(tempDir(t), "state.json"), nil)
	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 50 {
				run.Add("n", 1)
				run.ItemFailed(fmt.Sprint(i), nil)
				_ = run.Record()
				if i%10 == 0 {
					if err := f.Update(t.Context(), func(*testState) error { return nil }); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	rec, err := run.Finish(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Items["n"] != 200 || rec.ItemFailures != 200 || len(rec.Failures) != DefaultMaxItemFailures {
		t.Errorf("record counts n=%d failures=%d kept=%d", rec.Items["n"], rec.ItemFailures, len(rec.Failures))
	}
}

func TestSummaryLine(t *testing.T) {
	start := time.Date(2026, 6, 11, 2, 0, 0, 0, time.UTC)
	cases := []struct {
		rec  Record
		want string
	}{
		{Record{RunID: "r1", Status: StatusSucceeded, Started: start, Ended: start.Add(2500 * time.Millisecond)},
			"run r1 succeeded in 2.5s"},
		{Record{RunID: "r2", Status: StatusPartial, Started: start, Ended: start.Add(time.Minute), ItemFailures: 1,
			Failures: []ItemFailure{{Item: "x"}}, Items: map[string]int64{"b": 2, "a": 1}},
			`run r2 partial in 1m0s: 1 item failed, first "x" (a=1 b=2)`},
		{Record{RunID: "r3", Status: StatusFailed, Started: start, Ended: start.Add(time.Second), Error: "boom"},
			"run r3 failed after 1s: boom"},
		{Record{RunID: "r4", Status: StatusAbandoned, Started: start, Ended: start.Add(time.Hour), PID: 7, Host: "h", Error: "gone"},
			"run r4 abandoned: started 2026-06-11T02:00:00Z by pid 7 on host h; gone"},
	}
	for _, tc := range cases {
		if got := summaryLine(tc.rec); got != tc.want {
			t.Errorf("summaryLine(%s) = %q, want %q", tc.rec.RunID, got, tc.want)
		}
	}
}

// Finish and Close racing: exactly one of them ends the run, and the summary
// log agrees with what Finish returned.
func TestFinishRacingClose(t *testing.T) {
	for i := range 100 {
		path := filepath.Join(tempDir(t), "state.json")
		f, err := Open[testState](t.Context(), path, quietOptions())
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg     sync.WaitGroup
			rec    Record
			finErr error
		)
		wg.Add(2)
		go func() { defer wg.Done(); rec, finErr = r.Finish(nil) }()
		go func() { defer wg.Done(); _ = f.Close() }()
		wg.Wait()
		recs, err := ReadRuns(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := StatusAbandoned // Close won; Finish reports the run already ended
		if finErr == nil {
			want = rec.Status
		}
		if len(recs) != 1 || recs[0].Status != want {
			t.Fatalf("round %d: Finish returned %s, %v; summary log %v, want one %s record", i, rec.Status, finErr, recs, want)
		}
	}
}
