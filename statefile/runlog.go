package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// runsSuffix names the summary log beside a state file: "state.json" keeps
// its runs in "state.json.runs.jsonl".
const runsSuffix = ".runs.jsonl"

// appendRun adds one record line to the summary log at logPath, keeping
// the newest keep, by replacing the log atomically (see replaceFile): a
// crash leaves the old log or the new one, and readers never see half a
// line. The log is small (KeepRuns lines) and written once a run.
func appendRun(fsys fsys, logPath string, rec Record, keep int, perm fs.FileMode) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	old, err := fsys.ReadFile(logPath)
	if err != nil && !isMissing(err) {
		return err
	}
	old = old[:bytes.LastIndexByte(old, '\n')+1] // without a torn last line
	for n := bytes.Count(old, []byte{'\n'}); n >= keep; n-- {
		old = old[bytes.IndexByte(old, '\n')+1:]
	}
	_, err = replaceFile(fsys, logPath, append(append(old, line...), '\n'), perm, nil)
	return err
}

// ReadRuns returns up to n of the newest records in the summary log of the
// state file at path, newest first; n <= 0 returns all of them. It does not
// take the lock, so a health check or an operator's tool can call it while
// a job runs. A missing log means no runs yet (nil, nil). A torn last line,
// left by a crash in the middle of an append, is skipped; any other line
// that is not a record is an error naming the log and the line's offset.
// Symbolic links in path are followed as Open follows them, so the log
// read is the one the File writes.
func ReadRuns(path string, n int) ([]Record, error) {
	if path == "" {
		return nil, errors.New("statefile: read runs: the path of the state file is empty")
	}
	real, err := resolvePath(path)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %s: %w", path+runsSuffix, err)
	}
	logPath := real + runsSuffix
	recs, err := readRuns(logPath, n)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %s: %w", logPath, err)
	}
	return recs, nil
}

func readRuns(logPath string, n int) ([]Record, error) {
	data, err := os.ReadFile(logPath)
	if isMissing(err) {
		return nil, nil
	}
	if err != nil {
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
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, fmt.Errorf("line at byte %d: %w", start, err)
		}
		if rec.RunID == "" || rec.Status == "" {
			return nil, fmt.Errorf("line at byte %d: not a run record (no run_id or status)", start)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}
