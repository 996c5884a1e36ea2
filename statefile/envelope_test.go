package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func validFile(t testing.TB) []byte {
	run, _ := json.Marshal(Record{RunID: "r", Status: StatusRunning, Items: map[string]int64{"n": 1}})
	data, err := encodeEnvelope(2, 9, time.Date(2026, 6, 11, 2, 0, 0, 0, time.UTC), run, []byte(`{"counter":9,"items":["a\nb"]}`))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDecodeLayoutMatchesFullDecode checks the fast path against
// json.Unmarshal of the whole file, on our layout and on variations.
func TestDecodeLayoutMatchesFullDecode(t *testing.T) {
	good := validFile(t)
	variants := map[string][]byte{
		"as written":          good,
		"state first":         []byte(`{"state": {"a":1}, "format": "harden.statefile/v1", "schema_version": 1, "generation": 1, "checksum": "x"}`),
		"member after state":  bytes.Replace(good, []byte("\n}\n"), []byte(", \"extra\": 1\n}\n"), 1),
		"torn":                good[:len(good)-5],
		"no final newline":    good[:len(good)-1],
		"state invalid":       bytes.Replace(good, []byte(`"counter":9`), []byte(`"counter":`), 1),
		"duplicate state key": bytes.Replace(good, []byte(`"generation": 9`), []byte(`"state": 1, "generation": 9`), 1),
		"nested marker":       bytes.Replace(good, []byte(`"run": {`), []byte("\"run\": {\"x\": 1"+stateMarker+"2,"), 1),
	}
	for name, data := range variants {
		fast, ok := decodeLayout(data)
		var full envelope
		fullErr := json.Unmarshal(data, &full)
		if !ok {
			if name == "as written" {
				t.Errorf("%s: the fast path rejected the layout it was made for", name)
			}
			continue
		}
		if !json.Valid(fast.State) {
			if fullErr == nil && bytes.Equal(full.State, fast.State) {
				t.Errorf("%s: json.Unmarshal found the same invalid state", name)
			}
			continue
		}
		if fullErr != nil {
			t.Errorf("%s: fast path accepted a file json.Unmarshal rejects: %v", name, fullErr)
			continue
		}
		if !reflect.DeepEqual(fast, full) {
			t.Errorf("%s: fast path decoded\n%+v\nfull decode\n%+v", name, fast, full)
		}
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(validFile(f))
	f.Add([]byte(`{"format":"harden.statefile/v1"` + stateMarker + "1\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeLayout(data)
		if !ok {
			return
		}
		var full envelope
		err := json.Unmarshal(data, &full)
		if !json.Valid(fast.State) {
			// The state's decoding reports the file invalid. The whole
			// file must not pass either: its state member, if any, is
			// other bytes, so it cannot match the checksum these match.
			if err == nil && bytes.Equal(full.State, fast.State) {
				t.Fatalf("json.Unmarshal found the same invalid state in %q", data)
			}
			return
		}
		if err != nil {
			t.Fatalf("fast path accepted %q, json.Unmarshal says %v", data, err)
		}
		if !reflect.DeepEqual(fast, full) {
			t.Fatalf("fast %+v != full %+v for %q", fast, full, data)
		}
		// And the verification built on it never panics.
		decodeEnvelope("f", data, 3)
	})
}

func TestOpenAcceptsAnyLayoutOfAValidFile(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	state := `{"counter":12}`
	doc := `{"state":` + state + `,` + "\n" + `"checksum":"` + checksum([]byte(state)) + `","generation":3,` +
		`"schema_version":1,"format":"harden.statefile/v1","note":"edited by hand"}`
	os.WriteFile(path, []byte(doc), 0o600)
	f := openT[testState](t, path, nil)
	if f.State().Counter != 12 || f.Generation() != 3 || f.Recovered() != nil {
		t.Errorf("State %+v generation %d recovered %v", f.State(), f.Generation(), f.Recovered())
	}
}

func TestOpenRejectsInvalidStateWithMatchingChecksum(t *testing.T) {
	path := filepath.Join(tempDir(t), "state.json")
	writeGen(t, path+".bak", 1, 1, 1)
	bad := []byte(`{"counter":2}, "extra": 1`) // not one JSON value
	data, err := encodeEnvelope(1, 2, time.Now(), nil, bad)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, data, 0o600)
	f := openT[testState](t, path, nil)
	if f.State().Counter != 1 {
		t.Errorf("Counter = %d, want 1 from the backup", f.State().Counter)
	}
	if err := f.Recovered(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("Recovered() = %v", err)
	}
}
