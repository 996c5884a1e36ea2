package statefile

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func validFile(t testing.TB) []byte {
	data, err := encodeEnvelope(&Snapshot{Generation: 9, SchemaVersion: 2, SavedAt: time.Date(2026, 6, 11, 2, 0, 0, 0, time.UTC),
		Run: &Record{RunID: "r", Status: StatusRunning, Items: map[string]int64{"n": 1}}, State: []byte(`{"counter":9,"items":["a\nb"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEnvelopeRoundTrip(t *testing.T) {
	env, err := decodeEnvelope("f", validFile(t))
	if err != nil {
		t.Fatal(err)
	}
	if env.Generation != 9 || env.SchemaVersion != 2 || env.Run == nil || env.Run.Items["n"] != 1 ||
		string(env.State) != `{"counter":9,"items":["a\nb"]}` {
		t.Errorf("decoded %+v", env)
	}
}

// FuzzDecodeEnvelope checks that what decodeEnvelope accepts is a state
// file: valid JSON whose state matches its checksum, and that it never
// panics.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(validFile(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := decodeEnvelope("f", data)
		if err != nil {
			return
		}
		if !json.Valid(data) || !json.Valid(env.State) || checksum(env.State) != env.Checksum || env.Generation < 1 {
			t.Fatalf("accepted %q", data)
		}
	})
}

func TestOpenAcceptsAnyLayoutOfAValidFile(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	state := `{"counter":12}`
	doc := `{"state":` + state + `,` + "\n" + `"checksum":"` + checksum([]byte(state)) + `","generation":3,` +
		`"schema_version":1,"format":"harden.statefile/v1","note":"edited by hand"}`
	os.WriteFile(path, []byte(doc), 0o600)
	f := openT[testState](t, path, nil)
	if stateOf(t, f).Counter != 12 || f.Generation() != 3 || f.Recovered() != nil {
		t.Errorf("State %+v generation %d recovered %v", stateOf(t, f), f.Generation(), f.Recovered())
	}
}

func TestOpenRejectsInvalidStateWithMatchingChecksum(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	writeGen(t, path+".bak", 1, 1, 1)
	bad := []byte(`{"counter":2}, "extra": 1`) // not one JSON value
	data, err := encodeEnvelope(&Snapshot{Generation: 2, SchemaVersion: 1, SavedAt: time.Now(), State: bad})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, data, 0o600)
	f := openT[testState](t, path, nil)
	if stateOf(t, f).Counter != 1 {
		t.Errorf("Counter = %d, want 1 from the backup", stateOf(t, f).Counter)
	}
	if err := f.Recovered(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("Recovered() = %v", err)
	}
}
