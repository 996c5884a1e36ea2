package statefile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// formatName is the value of the "format" member of every state file this
// package writes. A file naming another version of the format is refused
// like a newer schema version.
const (
	formatName   = "harden.statefile/v1"
	formatPrefix = "harden.statefile/"
	sumPrefix    = "sha256:"
)

// envelope is a state file as it is on disk.
type envelope struct {
	Format        string          `json:"format"`
	SchemaVersion int             `json:"schema_version"`
	Generation    uint64          `json:"generation"`
	SavedAt       time.Time       `json:"saved_at"`
	Checksum      string          `json:"checksum"`
	Run           *Record         `json:"run,omitempty"`
	State         json.RawMessage `json:"state"`
}

// checksum returns the checksum recorded for state: the SHA-256 of its exact
// bytes as they appear in the file.
func checksum(state []byte) string {
	sum := sha256.Sum256(state)
	return sumPrefix + hex.EncodeToString(sum[:])
}

// encodeEnvelope lays out a state file by hand so that the header comes
// first (readable with head as well as jq) and the state bytes, which the
// checksum covers, are embedded exactly.
func encodeEnvelope(schema int, gen uint64, savedAt time.Time, run []byte, state []byte) ([]byte, error) {
	if y := savedAt.UTC().Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("saved_at time %v is outside years 0-9999", savedAt)
	}
	sum := sha256.Sum256(state)
	b := make([]byte, 0, len(state)+len(run)+256)
	b = append(b, "{\n  \"format\": \""...)
	b = append(b, formatName...)
	b = append(b, "\",\n  \"schema_version\": "...)
	b = strconv.AppendInt(b, int64(schema), 10)
	b = append(b, ",\n  \"generation\": "...)
	b = strconv.AppendUint(b, gen, 10)
	b = append(b, ",\n  \"saved_at\": \""...)
	b = savedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, "\",\n  \"checksum\": \""+sumPrefix...)
	b = hex.AppendEncode(b, sum[:])
	b = append(b, '"')
	if run != nil {
		b = append(b, ",\n  \"run\": "...)
		b = append(b, run...)
	}
	b = append(b, ",\n  \"state\": "...)
	b = append(b, state...)
	b = append(b, "\n}\n"...)
	return b, nil
}

// readGeneration reads and verifies one generation. Every error starts
// with name. They are: one wrapping fs.ErrNotExist when the file is missing, a *corruptError when it
// fails verification, one wrapping ErrNewerVersion when it must be refused,
// and any other error when it could not be read.
func readGeneration(fsys fsys, name string, schema int) (*envelope, error) {
	data, err := fsys.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, unwrapPathError(err))
	}
	return decodeEnvelope(name, data, schema)
}

func decodeEnvelope(name string, data []byte, schema int) (*envelope, error) {
	corrupt := func(format string, args ...any) error {
		return &corruptError{path: name, reason: fmt.Sprintf(format, args...)}
	}
	if len(data) == 0 {
		return nil, corrupt("file is empty")
	}
	env, ok := decodeLayout(data)
	verified := ok && checksum(env.State) == env.Checksum
	if !verified {
		// Not in the layout, or failing its checksum: decode the whole
		// file, which is authoritative and explains what is wrong.
		env = envelope{}
		if err := json.Unmarshal(data, &env); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return nil, corrupt("not valid JSON (torn or truncated write?): %v", err)
			}
			return nil, corrupt("not a state file: %v", err)
		}
	}
	switch {
	case env.Format == formatName:
	case strings.HasPrefix(env.Format, formatPrefix):
		return nil, fmt.Errorf("%s: %w: format %q, this program reads %q; the file is left untouched",
			name, ErrNewerVersion, env.Format, formatName)
	default:
		return nil, corrupt("format is %q, want %q", env.Format, formatName)
	}
	if env.SchemaVersion < 1 {
		return nil, corrupt("schema_version is %d, want at least 1", env.SchemaVersion)
	}
	if env.Generation < 1 {
		return nil, corrupt("generation is %d, want at least 1", env.Generation)
	}
	if env.State == nil {
		return nil, corrupt("no state member")
	}
	if !strings.HasPrefix(env.Checksum, sumPrefix) {
		return nil, corrupt("checksum %q is not %s<hex>", env.Checksum, sumPrefix)
	}
	if got := checksum(env.State); !verified && got != env.Checksum {
		return nil, corrupt("checksum mismatch: file says %s, state hashes to %s", env.Checksum, got)
	}
	if env.SchemaVersion > schema {
		return nil, fmt.Errorf("%s: %w: schema version %d, this program's schema version is %d; the file is left untouched",
			name, ErrNewerVersion, env.SchemaVersion, schema)
	}
	return &env, nil
}

// stateMarker separates the header from the state in the layout
// encodeEnvelope writes. A JSON string cannot hold a raw newline, so in a
// file in that layout the first match is the top-level state member.
const stateMarker = ",\n  \"state\": "

// decodeLayout decodes a file in the layout encodeEnvelope writes without
// scanning the state: only the small header goes through the JSON decoder.
// For anything not in the layout (a file reformatted by hand, a torn file)
// it returns false and the caller decodes the whole file.
//
// If the state it returns is valid JSON, the envelope is exactly what
// json.Unmarshal of the whole file gives. If it is not, the state member
// json.Unmarshal would find is different bytes, so once the checksum is
// found to match these bytes, the whole file could not have passed: either
// way the file is invalid, and readVerified says so when the state fails
// to decode.
func decodeLayout(data []byte) (envelope, bool) {
	const tail = "\n}\n"
	i := bytes.Index(data, []byte(stateMarker))
	if i < 0 || !bytes.HasSuffix(data, []byte(tail)) || i+len(stateMarker) > len(data)-len(tail) {
		return envelope{}, false
	}
	if bytes.HasSuffix(bytes.TrimRight(data[:i], " \t\r\n"), []byte("{")) {
		return envelope{}, false // no member before the comma: not JSON
	}
	// Trimmed as json.Unmarshal trims a RawMessage.
	state := bytes.Trim(data[i+len(stateMarker):len(data)-len(tail)], " \t\r\n")
	header := make([]byte, 0, i+2)
	header = append(append(header, data[:i]...), '}')
	var env envelope
	if err := json.Unmarshal(header, &env); err != nil || len(state) == 0 {
		return envelope{}, false
	}
	env.State = state
	return env, true
}

// migrate brings a state written with schema version from up to version to
// by applying migrations[from], migrations[from+1], ...
func migrate(state json.RawMessage, from, to int, migrations map[int]func(json.RawMessage) (json.RawMessage, error)) (json.RawMessage, error) {
	for v := from; v < to; v++ {
		m := migrations[v]
		if m == nil {
			return nil, fmt.Errorf("no migration from schema version %d to %d (Options.Migrations[%d] is not set)", v, v+1, v)
		}
		out, err := m(state)
		if err != nil {
			return nil, fmt.Errorf("migrate schema version %d to %d: %w", v, v+1, err)
		}
		if !json.Valid(out) {
			return nil, fmt.Errorf("migrate schema version %d to %d: migration returned invalid JSON", v, v+1)
		}
		state = out
	}
	return state, nil
}

// isMissing reports whether err says the file does not exist.
func isMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) }
