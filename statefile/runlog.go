package statefile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// runsSuffix names the summary log beside a state file: "state.json" keeps
// its runs in "state.json.runs.jsonl".
const runsSuffix = ".runs.jsonl"

// AppendRun implements Store by replacing the summary log with one that
// has r's line added and only the newest keep lines, atomically (see
// replaceFile): a crash leaves the old log or the new one, and readers
// never see half a line. The log is small and written once a run.
func (s *fileStore) AppendRun(_ context.Context, r Record, keep int) error {
	if s.lock == nil {
		return fmt.Errorf("%s: %w: the lock is not held", s.logPath, ErrLockLost)
	}
	old, err := s.fsys.ReadFile(s.logPath)
	if err != nil && !isMissing(err) {
		return err // names the log
	}
	old = old[:bytes.LastIndexByte(old, '\n')+1] // without a torn last line
	for n := bytes.Count(old, []byte{'\n'}); n >= keep; n-- {
		old = old[bytes.IndexByte(old, '\n')+1:]
	}
	line, err := json.Marshal(r)
	if err == nil {
		_, err = replaceFile(s.fsys, s.logPath, append(append(old, line...), '\n'), s.perm, nil)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.logPath, err)
	}
	return nil
}

// ReadRuns returns up to n of the newest run records of the file store at
// path (the state file's path, as given to Open), newest first; n <= 0
// returns all of them. It does not take the lock, so a health check or an
// operator's tool can call it while a job runs. No summary log means no
// runs yet (nil, nil). A last line without its newline is skipped; any
// other line that is not a record is an error naming the log and the
// line's offset.
func ReadRuns(path string, n int) ([]Record, error) {
	if path == "" {
		return nil, errors.New("statefile: read runs: the path of the state file is empty")
	}
	real, err := resolvePath(path)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %s: %w", path+runsSuffix, err)
	}
	recs, err := (&fileStore{logPath: real + runsSuffix}).ReadRuns(context.Background(), n)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %w", err)
	}
	return recs, nil
}

// ReadRuns implements Store with the summary log (see the function
// ReadRuns); its errors start with the log's path.
func (s *fileStore) ReadRuns(_ context.Context, n int) ([]Record, error) {
	data, err := os.ReadFile(s.logPath)
	if isMissing(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	// A torn last line, left by a crash mid-append, has no newline yet.
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	var recs []Record
	for end := len(data); end > 0 && (n <= 0 || len(recs) < n); {
		start := bytes.LastIndexByte(data[:end-1], '\n') + 1
		line := data[start : end-1]
		end = start
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec Record
		err := json.Unmarshal(line, &rec)
		if err == nil && (rec.RunID == "" || rec.Status == "") {
			err = errors.New("not a run record (no run_id or status)")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: line at byte %d: %w", s.logPath, start, err)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}
