package statefile

import (
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
func encodeEnvelope(s *Snapshot) ([]byte, error) {
	b := make([]byte, 0, len(s.State)+512)
	b = append(b, "{\n  \"format\": \""+formatName+"\",\n  \"schema_version\": "...)
	b = strconv.AppendInt(b, int64(s.SchemaVersion), 10)
	b = append(b, ",\n  \"generation\": "...)
	b = strconv.AppendUint(b, s.Generation, 10)
	b = append(b, ",\n  \"saved_at\": \""...)
	b = s.SavedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, "\",\n  \"checksum\": \""+checksum(s.State)+"\""...)
	if s.Run != nil {
		run, err := json.Marshal(s.Run)
		if err != nil {
			return nil, fmt.Errorf("encode run: %w", err)
		}
		b = append(append(b, ",\n  \"run\": "...), run...)
	}
	b = append(append(b, ",\n  \"state\": "...), s.State...)
	return append(b, "\n}\n"...), nil
}

// readGeneration reads and verifies one generation. Every error starts
// with name. They are: one wrapping fs.ErrNotExist when the file is
// missing, a *corruptError when it fails verification, one wrapping
// ErrNewerVersion when it is in a newer format, and any other error when it
// could not be read.
func readGeneration(fsys fsys, name string) (*envelope, error) {
	data, err := fsys.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, unwrapPathError(err))
	}
	return decodeEnvelope(name, data)
}

func decodeEnvelope(name string, data []byte) (*envelope, error) {
	corrupt := func(format string, args ...any) error {
		return &corruptError{path: name, reason: fmt.Sprintf(format, args...)}
	}
	if len(data) == 0 {
		return nil, corrupt("file is empty")
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, corrupt("not valid JSON (torn or truncated write?): %v", err)
		}
		return nil, corrupt("not a state file: %v", err)
	}
	switch {
	case env.Format == formatName:
	case strings.HasPrefix(env.Format, formatPrefix):
		return nil, fmt.Errorf("%s: %w: format %q, this program reads %q; the file is left untouched",
			name, ErrNewerVersion, env.Format, formatName)
	default:
		return nil, corrupt("format is %q, want %q", env.Format, formatName)
	}
	switch got := checksum(env.State); {
	case env.SchemaVersion < 1:
		return nil, corrupt("schema_version is %d, want at least 1", env.SchemaVersion)
	case env.Generation < 1:
		return nil, corrupt("generation is %d, want at least 1", env.Generation)
	case env.State == nil:
		return nil, corrupt("no state member")
	case got != env.Checksum:
		return nil, corrupt("checksum mismatch: file says %q, state hashes to %s", env.Checksum, got)
	}
	return &env, nil
}

// isMissing reports whether err says the file does not exist.
func isMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// corruptError says why one file failed verification; it matches
// ErrCorrupt.
type corruptError struct {
	path   string
	reason string
}

func (e *corruptError) Error() string        { return e.path + ": " + e.reason }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }
