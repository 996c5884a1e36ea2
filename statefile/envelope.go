package statefile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// formatName is the "format" of the state files this package writes; another
// version of it is refused like a newer schema version.
const (
	formatName   = "harden.statefile/v1"
	formatPrefix = "harden.statefile/"
)

// envelope is a state file as it is on disk.
type envelope struct {
	Format        string          `json:"format"`
	SchemaVersion int             `json:"schema_version"`
	Generation    uint64          `json:"generation"`
	SavedAt       time.Time       `json:"saved_at"`
	Checksum      string          `json:"checksum"`
	Run           *Record         `json:"run,omitempty"`
	State         json.RawMessage `json:"state,omitempty"` // last, as its exact bytes (see encodeEnvelope)
}

// checksum returns the SHA-256 of state's exact bytes, as the file records it.
func checksum(state []byte) string {
	sum := sha256.Sum256(state)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// encodeEnvelope writes the header first, readable with head as well as
// jq, and then the state's bytes exactly, as the checksum covers them
// (json.Marshal would compact and escape them).
func encodeEnvelope(s *Snapshot) ([]byte, error) {
	head, err := json.MarshalIndent(envelope{Format: formatName, SchemaVersion: s.SchemaVersion, Generation: s.Generation,
		SavedAt: s.SavedAt.UTC(), Checksum: checksum(s.State), Run: s.Run}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	return fmt.Appendf(head[:len(head)-2], ",\n  \"state\": %s\n}\n", s.State), nil // head without its "\n}"
}

// readGeneration reads and verifies one generation. Its errors name the
// file, and match fs.ErrNotExist, ErrCorrupt or ErrNewerVersion if they can.
func readGeneration(name string) (*envelope, error) {
	data, err := os.ReadFile(name)
	if isMissing(err) {
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	} else if err != nil {
		return nil, err
	}
	return decodeEnvelope(name, data)
}

func decodeEnvelope(name string, data []byte) (*envelope, error) {
	var env envelope
	err := json.Unmarshal(data, &env)
	var syn *json.SyntaxError
	sum := checksum(env.State)
	var reason string
	switch {
	case len(data) == 0:
		reason = "file is empty"
	case errors.As(err, &syn):
		reason = fmt.Sprintf("not valid JSON (torn or truncated write?): %v", err)
	case err != nil:
		reason = fmt.Sprintf("not a state file: %v", err)
	case env.Format != formatName && strings.HasPrefix(env.Format, formatPrefix):
		return nil, fmt.Errorf("%s: %w: format %q, this program reads %q; the file is left untouched",
			name, ErrNewerVersion, env.Format, formatName)
	case env.Format != formatName:
		reason = fmt.Sprintf("format is %q, want %q", env.Format, formatName)
	case env.SchemaVersion < 1:
		reason = fmt.Sprintf("schema_version is %d, want at least 1", env.SchemaVersion)
	case env.Generation < 1:
		reason = fmt.Sprintf("generation is %d, want at least 1", env.Generation)
	case env.State == nil:
		reason = "no state member"
	case sum != env.Checksum:
		reason = fmt.Sprintf("checksum mismatch: file says %q, state hashes to %s", env.Checksum, sum)
	default:
		return &env, nil
	}
	return nil, &corruptError{path: name, reason: reason}
}

// isMissing reports whether err says the file does not exist.
func isMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// corruptError says why one file failed verification; it matches ErrCorrupt.
type corruptError struct{ path, reason string }

func (e *corruptError) Error() string        { return e.path + ": " + e.reason }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }
