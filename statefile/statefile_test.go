package statefile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOpenMissingStartsFromZero(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)
	if got := stateOf(t, f); got.Counter != 0 || got.Names != nil {
		t.Errorf("State() = %+v, want the zero state", got)
	}
	if g := f.Generation(); g != 0 {
		t.Errorf("Generation() = %d, want 0", g)
	}
	if err := f.Recovered(); err != nil {
		t.Errorf("Recovered() = %v, want nil", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open created the state file (stat: %v); want nothing written before Save", err)
	}
}

func TestSaveAndReopen(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)
	for i := 1; i <= 3; i++ {
		if err := f.Update(t.Context(), func(s *testState) error {
			s.Counter = i
			s.Names = map[string]int{"a": i}
			s.Items = append(s.Items, fmt.Sprint("item", i))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if g := f.Generation(); g != uint64(i) {
			t.Errorf("Generation() after save %d = %d", i, g)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g := openT[testState](t, path, nil)
	got := stateOf(t, g)
	if got.Counter != 3 || got.Names["a"] != 3 || strings.Join(got.Items, ",") != "item1,item2,item3" {
		t.Errorf("reopened State() = %+v", got)
	}
	if g.Generation() != 3 {
		t.Errorf("reopened Generation() = %d, want 3", g.Generation())
	}
	if c := counterOf(t, path+".bak"); c != 2 {
		t.Errorf("backup counter = %d, want 2 (the previous generation)", c)
	}
	if env := readEnv(t, path+".bak"); env.Generation != 2 {
		t.Errorf("backup generation = %d, want 2", env.Generation)
	}
}

func TestFileIsOperatorReadable(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	opts := quietOptions()
	opts.SchemaVersion = 4
	f := openT[testState](t, path, opts)
	setCounter(t, f, 7)

	data := fileBytes(t, path)
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("state file is not JSON: %v\n%s", err, data)
	}
	want := map[string]string{
		"format":         `"harden.statefile/v1"`,
		"schema_version": `4`,
		"generation":     `1`,
		"state":          `{"counter":7}`,
	}
	for k, v := range want {
		if got := string(doc[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	sum := sha256.Sum256(doc["state"])
	if got, want := string(doc["checksum"]), `"sha256:`+hex.EncodeToString(sum[:])+`"`; got != want {
		t.Errorf("checksum = %s, want %s (SHA-256 of the state bytes)", got, want)
	}
	if !bytes.HasPrefix(data, []byte("{\n  \"format\": \"harden.statefile/v1\",\n")) {
		t.Errorf("file does not start with the format line:\n%s", data)
	}
	if _, ok := doc["run"]; ok {
		t.Errorf("file has a run member with no run active:\n%s", data)
	}
}

func TestUpdateErrorChangesNothing(t *testing.T) {
	f := openT[testState](t, filepath.Join(tempDir(t), "state.json"), nil)
	if err := f.Update(t.Context(), func(s *testState) error {
		s.Counter = 1
		s.Names = map[string]int{"keep": 1}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := f.Update(t.Context(), func(s *testState) error {
		s.Counter = 99
		s.Names["keep"] = 99 // a map shared with the state would leak this
		s.Names["new"] = 1
		return boom
	})
	if err != boom {
		t.Errorf("Update returned %v, want the function's error unchanged", err)
	}
	got := stateOf(t, f)
	if got.Counter != 1 || got.Names["keep"] != 1 || len(got.Names) != 1 {
		t.Errorf("State() after failed Update = %+v, want the state before it", got)
	}
}

func TestStateReturnsACopy(t *testing.T) {
	f := openT[testState](t, filepath.Join(tempDir(t), "state.json"), nil)
	if err := f.Update(t.Context(), func(s *testState) error { s.Names = map[string]int{"a": 1}; return nil }); err != nil {
		t.Fatal(err)
	}
	s := stateOf(t, f)
	s.Names["a"] = 100
	if got := stateOf(t, f).Names["a"]; got != 1 {
		t.Errorf("changing State()'s map changed the state: Names[a] = %d", got)
	}
}

func TestUpdateRejectsStateThatCannotBeStored(t *testing.T) {
	type anyState struct{ V any }
	f := openT[anyState](t, filepath.Join(tempDir(t), "state.json"), nil)
	err := f.Update(t.Context(), func(s *anyState) error { s.V = func() {}; return nil })
	if err == nil {
		t.Fatal("Update with an unencodable state returned nil")
	}
	mustContain(t, "error", err.Error(), "statefile: update", "state.json", "encode state")
	if got := stateOf(t, f); got.V != nil {
		t.Errorf("State() = %+v after rejected Update", got)
	}
}

func TestOpenRejectsUnstorableType(t *testing.T) {
	_, err := Open[chan int](t.Context(), filepath.Join(tempDir(t), "state.json"), quietOptions())
	if err == nil {
		t.Fatal("Open[chan int] succeeded")
	}
	mustContain(t, "error", err.Error(), "statefile: open", "cannot be stored as JSON")
}

// writeGen writes a valid generation file for counter with the given header.
func writeGen(t *testing.T, name string, schema int, gen uint64, counter int) []byte {
	t.Helper()
	state, _ := json.Marshal(testState{Counter: counter})
	data, err := encodeEnvelope(&Snapshot{Generation: gen, SchemaVersion: schema, SavedAt: time.Now(), State: state})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestOpenFallsBackToBackup(t *testing.T) {
	valid := func(t *testing.T) []byte {
		name := filepath.Join(tempDir(t), "x")
		return writeGen(t, name, 1, 5, 5)
	}
	cases := []struct {
		name    string
		content func(t *testing.T) []byte // nil: no state file
		reason  string
	}{
		{"missing", nil, "does not exist"},
		{"empty", func(*testing.T) []byte { return []byte{} }, "file is empty"},
		{"truncated", func(t *testing.T) []byte { d := valid(t); return d[:len(d)/2] }, "torn or truncated"},
		{"truncated by one byte", func(t *testing.T) []byte { d := valid(t); return d[:len(d)-3] }, "torn or truncated"},
		{"garbage", func(*testing.T) []byte { return []byte("\x00\x00\x00\x00") }, "not valid JSON"},
		{"checksum mismatch", func(t *testing.T) []byte {
			return bytes.Replace(valid(t), []byte(`"counter":5`), []byte(`"counter":6`), 1)
		}, "checksum mismatch"},
		{"other format", func(t *testing.T) []byte {
			return bytes.Replace(valid(t), []byte(formatName), []byte("something/v1"), 1)
		}, `format is "something/v1"`},
		{"not a state file", func(*testing.T) []byte { return []byte(`{"counter": 5}`) }, "format is"},
		{"wrong header type", func(t *testing.T) []byte {
			return bytes.Replace(valid(t), []byte(`"generation": 5`), []byte(`"generation": "5"`), 1)
		}, "not a state file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(tempDir(t), "state.json")
			writeGen(t, path+".bak", 1, 4, 4)
			bak := fileBytes(t, path+".bak")
			var bad []byte
			if tc.content != nil {
				bad = tc.content(t)
				if err := os.WriteFile(path, bad, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			logger, logs := newCapture()
			opts := &Options{Logger: logger}
			f := openT[testState](t, path, opts)

			if got := stateOf(t, f).Counter; got != 4 {
				t.Errorf("State().Counter = %d, want 4 from the backup", got)
			}
			if got := f.Generation(); got != 4 {
				t.Errorf("Generation() = %d, want 4", got)
			}
			rec := f.Recovered()
			if rec == nil {
				t.Fatal("Recovered() = nil after loading the backup")
			}
			mustContain(t, "Recovered()", rec.Error(), path, tc.reason, path+".bak", "generation 4")
			if tc.content == nil {
				if !errors.Is(rec, fs.ErrNotExist) {
					t.Errorf("Recovered() = %v, want it to match fs.ErrNotExist", rec)
				}
			} else if !errors.Is(rec, ErrCorrupt) {
				t.Errorf("Recovered() = %v, want it to match ErrCorrupt", rec)
			}
			var logged bool
			for _, r := range logs() {
				if r.Level == slog.LevelError && strings.Contains(r.Attrs["error"], tc.reason) {
					logged = true
				}
			}
			if !logged {
				t.Errorf("no Error log record names the reason %q: %+v", tc.reason, logs())
			}
			if got := fileBytes(t, path); !bytes.Equal(got, bad) {
				t.Errorf("Open changed the invalid state file")
			}

			// The next save keeps the good backup and moves the
			// invalid file aside for inspection.
			setCounter(t, f, 10)
			if c := counterOf(t, path); c != 10 {
				t.Errorf("state counter after save = %d, want 10", c)
			}
			if g := readEnv(t, path).Generation; g != 5 {
				t.Errorf("generation after save = %d, want 5", g)
			}
			if got := fileBytes(t, path+".bak"); !bytes.Equal(got, bak) {
				t.Errorf("save replaced the valid backup after a recovery")
			}
			if got := fileBytes(t, path+".corrupt"); !bytes.Equal(got, bad) {
				t.Errorf(".corrupt = %q, want the invalid file %q", got, bad)
			}
			setCounter(t, f, 11)
			if c := counterOf(t, path+".bak"); c != 10 {
				t.Errorf("backup counter after second save = %d, want 10", c)
			}
		})
	}
}

func TestOpenFailsWithoutValidGeneration(t *testing.T) {
	cases := []struct {
		name    string
		state   []byte
		bak     []byte // nil: no backup
		reasons []string
	}{
		{"invalid state, no backup", []byte(`{"format":"harden.statefile/v1"`), nil,
			[]string{"torn or truncated", "state.json.bak: file does not exist"}},
		{"both invalid", []byte("{}"), []byte("not json"),
			[]string{`format is ""`, "state.json.bak: not valid JSON"}},
		{"empty state, empty backup", []byte{}, []byte{}, []string{"state.json: file is empty", "state.json.bak: file is empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(tempDir(t), "state.json")
			os.WriteFile(path, tc.state, 0o600)
			if tc.bak != nil {
				os.WriteFile(path+".bak", tc.bak, 0o600)
			}
			f, err := Open[testState](t.Context(), path, quietOptions())
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded with no valid generation")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("error %v does not match ErrCorrupt", err)
			}
			mustContain(t, "error", err.Error(), append([]string{"statefile: open " + path, "no valid generation"}, tc.reasons...)...)
			if got := fileBytes(t, path); !bytes.Equal(got, tc.state) {
				t.Errorf("Open changed the state file")
			}
			if got := fileBytes(t, path+".bak"); !bytes.Equal(got, tc.bak) {
				t.Errorf("Open changed the backup")
			}
			// The lock was released: a fixed file opens.
			writeGen(t, path, 1, 1, 1)
			g := openT[testState](t, path, nil)
			if stateOf(t, g).Counter != 1 {
				t.Errorf("after fixing the file, Counter = %d", stateOf(t, g).Counter)
			}
		})
	}
}

func TestOpenReadErrorIsNotCorruption(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "state.json")
	if err := os.Mkdir(path, 0o700); err != nil { // a directory where the file should be
		t.Fatal(err)
	}
	writeGen(t, path+".bak", 1, 1, 1)
	f, err := Open[testState](t.Context(), path, quietOptions())
	if err == nil {
		f.Close()
		t.Fatal("Open succeeded with a directory at the state path")
	}
	if errors.Is(err, ErrCorrupt) {
		t.Errorf("a read error was treated as corruption (and could fall back silently): %v", err)
	}
	mustContain(t, "error", err.Error(), "statefile: open "+path)
}

func TestOpenRefusesNewerVersions(t *testing.T) {
	cases := []struct {
		name    string
		write   func(t *testing.T, path string)
		reasons []string
	}{
		{"newer schema", func(t *testing.T, path string) { writeGen(t, path, 3, 9, 9) },
			[]string{"schema version 3", "this program's is 2"}},
		{"newer format", func(t *testing.T, path string) {
			data := bytes.Replace(writeGen(t, path, 1, 9, 9), []byte(formatName), []byte("harden.statefile/v2"), 1)
			os.WriteFile(path, data, 0o600)
		}, []string{"harden.statefile/v2", formatName}},
		{"newer schema in backup", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("torn"), 0o600)
			writeGen(t, path+".bak", 3, 8, 8)
		}, []string{"state.json.bak", "schema version 3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(tempDir(t), "state.json")
			tc.write(t, path)
			before, beforeBak := fileBytes(t, path), fileBytes(t, path+".bak")
			opts := quietOptions()
			opts.SchemaVersion = 2
			opts.Migrations = map[int]func(json.RawMessage) (json.RawMessage, error){
				1: func(m json.RawMessage) (json.RawMessage, error) { return m, nil },
			}
			f, err := Open[testState](t.Context(), path, opts)
			if err == nil {
				f.Close()
				t.Fatal("Open accepted a file from a newer version")
			}
			if !errors.Is(err, ErrNewerVersion) {
				t.Errorf("error %v does not match ErrNewerVersion", err)
			}
			mustContain(t, "error", err.Error(), append([]string{"statefile: open " + path, "left untouched"}, tc.reasons...)...)
			if !bytes.Equal(fileBytes(t, path), before) || !bytes.Equal(fileBytes(t, path+".bak"), beforeBak) {
				t.Error("Open changed a file written by a newer version")
			}
		})
	}
}

func TestMigrations(t *testing.T) {
	type v3 struct {
		Count int    `json:"count"`
		Note  string `json:"note"`
	}
	path := filepath.Join(tempDir(t), "state.json")
	writeGen(t, path, 1, 7, 41) // {"counter":41}
	rename := func(m json.RawMessage) (json.RawMessage, error) {
		var old struct{ Counter int }
		if err := json.Unmarshal(m, &old); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]int{"count": old.Counter})
	}
	note := func(m json.RawMessage) (json.RawMessage, error) {
		var s map[string]any
		if err := json.Unmarshal(m, &s); err != nil {
			return nil, err
		}
		s["note"] = "migrated"
		return json.Marshal(s)
	}
	logger, logs := newCapture()
	opts := &Options{Logger: logger, SchemaVersion: 3, Migrations: map[int]func(json.RawMessage) (json.RawMessage, error){1: rename, 2: note}}
	f := openT[v3](t, path, opts)
	if got := stateOf(t, f); got.Count != 41 || got.Note != "migrated" {
		t.Errorf("migrated State() = %+v", got)
	}
	if f.Generation() != 7 {
		t.Errorf("Generation() = %d, want 7", f.Generation())
	}
	var sawInfo bool
	for _, r := range logs() {
		if r.Level == slog.LevelInfo && r.Attrs["from_version"] == "1" && r.Attrs["to_version"] == "3" {
			sawInfo = true
		}
	}
	if !sawInfo {
		t.Errorf("no Info record for the migration: %+v", logs())
	}
	// The next save writes the migrated state with the new version.
	if err := f.Update(t.Context(), func(*v3) error { return nil }); err != nil {
		t.Fatal(err)
	}
	env, err := readGeneration(osFS{}, path)
	if err != nil {
		t.Fatal(err)
	}
	if env.SchemaVersion != 3 || string(env.State) != `{"count":41,"note":"migrated"}` {
		t.Errorf("saved schema %d state %s", env.SchemaVersion, env.State)
	}
}

func TestMigrationErrors(t *testing.T) {
	ok := func(m json.RawMessage) (json.RawMessage, error) { return m, nil }
	type migs = map[int]func(json.RawMessage) (json.RawMessage, error)
	cases := []struct {
		name   string
		schema int
		migs   migs
		want   string
	}{
		{"missing step", 3, migs{1: ok}, "no migration from schema version 2 to 3"},
		{"failing step", 2, migs{1: func(json.RawMessage) (json.RawMessage, error) { return nil, errors.New("bad cursor") }},
			"migrate schema version 1 to 2: bad cursor"},
		{"invalid JSON", 2, migs{1: func(json.RawMessage) (json.RawMessage, error) { return json.RawMessage("{"), nil }},
			"migration returned invalid JSON"},
		{"key out of range", 2, migs{1: ok, 2: ok}, "migration from version 2, outside [1, SchemaVersion=2)"},
		{"nil migration", 2, migs{1: nil}, "Options.Migrations[1] is nil"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(tempDir(t), "state.json")
			before := writeGen(t, path, 1, 1, 1)
			opts := quietOptions()
			opts.SchemaVersion = tc.schema
			opts.Migrations = tc.migs
			f, err := Open[testState](t.Context(), path, opts)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			mustContain(t, "error", err.Error(), "statefile: open "+path, tc.want)
			if !bytes.Equal(fileBytes(t, path), before) {
				t.Error("a failed migration changed the file")
			}
		})
	}
}

func TestOpenStateThatDoesNotDecode(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	writeGen(t, path, 1, 3, 3) // {"counter":3}
	type other struct {
		Counter string `json:"counter"`
	}
	f, err := Open[other](t.Context(), path, quietOptions())
	if err == nil {
		f.Close()
		t.Fatal("Open decoded a number into a string field")
	}
	mustContain(t, "error", err.Error(), "statefile: open "+path, "does not decode into", "generation 3")
}

func TestOptionsValidation(t *testing.T) {
	cases := []struct {
		opts Options
		want string
	}{
		{Options{LockTimeout: -1}, "LockTimeout is negative"},
		{Options{SchemaVersion: -1}, "SchemaVersion is negative"},
		{Options{KeepRuns: -1}, "KeepRuns is negative"},
		{Options{Perm: fs.ModeDir | 0o600}, "Perm"},
	}
	for _, tc := range cases {
		path := filepath.Join(tempDir(t), "state.json")
		f, err := Open[testState](t.Context(), path, &tc.opts)
		if err == nil {
			f.Close()
			t.Errorf("Open(%+v) succeeded", tc.opts)
			continue
		}
		mustContain(t, "error", err.Error(), "statefile: open "+path, tc.want)
	}
}

// TestOpenRefusesEmptyPathAndDirectory checks that neither an empty path
// (which would name the working directory) nor a directory gets as far as
// creating a lock file.
func TestOpenRefusesEmptyPathAndDirectory(t *testing.T) {
	parent := tempDir(t)
	dir := filepath.Join(parent, "work")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"", []string{"statefile: open: the path of the state file is empty"}},
		{dir, []string{"statefile: open " + dir, "is a directory"}},
		{".", []string{"statefile: open " + dir, "is a directory"}},
	} {
		f, err := Open[testState](t.Context(), tc.path, quietOptions())
		if err == nil {
			f.Close()
			t.Errorf("Open(%q) succeeded", tc.path)
			continue
		}
		mustContain(t, fmt.Sprintf("Open(%q) error", tc.path), err.Error(), tc.want...)
		for _, d := range []string{parent, dir} {
			entries, err := os.ReadDir(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() != "work" {
					t.Errorf("Open(%q) left %s in %s", tc.path, e.Name(), d)
				}
			}
		}
	}
	if _, err := ReadRuns("", 0); err == nil || !strings.Contains(err.Error(), "path of the state file is empty") {
		t.Errorf(`ReadRuns("") = %v, want an error saying the path is empty`, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)
	run, err := f.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := f.Update(t.Context(), func(s *testState) error {
					s.Counter++
					if s.Names == nil {
						s.Names = map[string]int{}
					}
					s.Names[fmt.Sprint(w)]++
					return nil
				}); err != nil {
					t.Error(err)
				}
				run.Add("done", 1)
				_ = stateOf(t, f)
				_ = f.Generation()
				if i%5 == 0 {
				}
			}
		})
	}
	wg.Wait()
	if _, err := run.Finish(nil); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, f).Counter; got != workers*each {
		t.Errorf("Counter = %d, want %d", got, workers*each)
	}
	if c := counterOf(t, path); c != workers*each {
		t.Errorf("saved counter = %d, want %d", c, workers*each)
	}
	recs, err := f.LastRuns(t.Context(), 1)
	if err != nil || len(recs) != 1 || recs[0].Items["done"] != workers*each {
		t.Errorf("LastRuns(1) = %+v, %v", recs, err)
	}
}

func TestClosedFile(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)
	setCounter(t, f, 2)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", what, err)
		} else {
			mustContain(t, what, err.Error(), path)
		}
	}
	check("Update", f.Update(t.Context(), func(*testState) error { return nil }))
	_, err := f.Begin(t.Context())
	check("Begin", err)
	if stateOf(t, f).Counter != 2 {
		t.Errorf("State() after Close = %+v", stateOf(t, f))
	}
}

func TestOpenRemovesTempsLeftByACrash(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "state.json")
	leftovers := []string{
		"state.json.tmp-0123456789abcdef",
		"state.json.runs.jsonl.tmp-fedcba9876543210",
	}
	keep := []string{"state.json.tmp-notours", "other.json.tmp-0123456789abcdef"}
	for _, n := range append(leftovers, keep...) {
		os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o600)
	}
	openT[testState](t, path, nil)
	for _, n := range leftovers {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still exists after Open", n)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("Open removed %s, which it did not create: %v", n, err)
		}
	}
}

func TestSaveWithoutHardLinks(t *testing.T) {
	ffs := &faultFS{}
	ffs.inject("link", "", errors.ErrUnsupported)
	path := filepath.Join(tempDir(t), "state.json")
	f := openFS[testState](t, path, nil, ffs)
	for i := 1; i <= 3; i++ {
		setCounter(t, f, i)
	}
	if c := counterOf(t, path); c != 3 {
		t.Errorf("state counter = %d, want 3", c)
	}
	if c := counterOf(t, path+".bak"); c != 2 {
		t.Errorf("backup counter = %d, want 2", c)
	}
	if ffs.hits["link"] != 2 {
		t.Errorf("link attempts = %d, want 2", ffs.hits["link"])
	}
}

// TestUpdatePersists checks that an Update is on disk when it returns, for
// a process that finds the files as they are, without Save or Close.
func TestUpdatePersists(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	f := openT[testState](t, path, nil)
	for i := 1; i <= 3; i++ {
		setCounter(t, f, i)
		next := openT[testState](t, copyState(t, path), nil)
		if got := stateOf(t, next).Counter; got != i || next.Generation() != uint64(i) {
			t.Errorf("after Update %d the next process loads counter %d generation %d", i, got, next.Generation())
		}
	}
}

// picky decodes only what its decoder is told to accept, so that a test
// can make a stored state fail to decode.
type picky struct{ N int }

var pickyRejects = map[int]bool{13: true}

func (p *picky) UnmarshalJSON(data []byte) error {
	var v struct{ N int }
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if pickyRejects[v.N] {
		return fmt.Errorf("picky: %d is unlucky", v.N)
	}
	p.N = v.N
	return nil
}

// TestStateThatDoesNotDecode checks that a state which would not decode is
// never saved, and that State reports a decode failure instead of
// returning a zero value.
func TestStateThatDoesNotDecode(t *testing.T) {
	f := openT[picky](t, filepath.Join(tempDir(t), "state.json"), nil)
	if err := f.Update(t.Context(), func(p *picky) error { p.N = 7; return nil }); err != nil {
		t.Fatal(err)
	}
	err := f.Update(t.Context(), func(p *picky) error { p.N = 13; return nil })
	mustContain(t, "Update error", fmt.Sprint(err), "statefile: update", "does not decode", "13 is unlucky")
	if got := stateOf(t, f); got.N != 7 || f.Generation() != 1 {
		t.Errorf("after the refused Update: %+v generation %d, want 7 and 1", got, f.Generation())
	}

	pickyRejects[7] = true
	defer delete(pickyRejects, 7)
	got, err := f.State()
	if err == nil || got.N != 0 {
		t.Fatalf("State = %+v, %v; want an error", got, err)
	}
	mustContain(t, "State error", err.Error(), "statefile: state", "generation 1 does not decode", "7 is unlucky")
}
