package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// runsSuffix names the summary log beside a state file: "state.json" keeps
// its runs in "state.json.runs.jsonl".
const runsSuffix = ".runs.jsonl"

// RunsPath returns the path of the summary log that belongs to the state
// file at path. It works on the name alone and follows no symbolic links:
// for a path that is or goes through a link, pass the resolved path that
// (*File[T]).Path returns.
func RunsPath(path string) string { return path + runsSuffix }

// appendRun appends one record line to the summary log at logPath and
// fsyncs it. A torn last line (from a crash mid-append) is cut off first so
// that it never ends up inside the log. When the log would hold more than
// keep records it is rewritten atomically with the newest keep.
func appendRun(fsys fsys, logPath string, rec Record, keep int, perm fs.FileMode) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	line = append(line, '\n')

	_, statErr := fsys.Stat(logPath)
	created := isMissing(statErr)
	f, err := fsys.OpenFile(logPath, os.O_RDWR|os.O_CREATE|os.O_APPEND, perm)
	if err != nil {
		return err
	}
	content, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return err
	}
	complete := content[:bytes.LastIndexByte(content, '\n')+1]
	if n := bytes.Count(complete, []byte{'\n'}); n+1 > keep {
		f.Close()
		// Keep the newest keep-1 lines and add the new one.
		drop := n - (keep - 1)
		start := 0
		for range drop {
			start += bytes.IndexByte(complete[start:], '\n') + 1
		}
		data := append(append(make([]byte, 0, len(complete)-start+len(line)), complete[start:]...), line...)
		_, err := replaceFile(fsys, logPath, data, perm, nil)
		return err
	}
	if len(complete) < len(content) {
		if err := f.Truncate(int64(len(complete))); err != nil {
			f.Close()
			return err
		}
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if created {
		return fsys.SyncDir(filepath.Dir(logPath))
	}
	return nil
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
		return nil, fmt.Errorf("statefile: read runs %s: %w", RunsPath(path), err)
	}
	logPath := RunsPath(real)
	recs, err := readRuns(logPath, n)
	if err != nil {
		return nil, fmt.Errorf("statefile: read runs %s: %w", logPath, err)
	}
	return recs, nil
}

// readChunk is how much of the log's tail readRuns reads at a time.
const readChunk = 64 << 10

func readRuns(logPath string, n int) ([]Record, error) {
	f, err := os.Open(logPath)
	if isMissing(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()

	// Read backwards from the end until n complete lines are in hand (or
	// the whole file is); buf holds the bytes from pos to size.
	pos := size
	var buf []byte
	for pos > 0 {
		chunk := min(readChunk, pos)
		pos -= chunk
		next := make([]byte, int(chunk)+len(buf))
		if _, err := f.ReadAt(next[:chunk], pos); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		copy(next[chunk:], buf)
		buf = next
		if n > 0 && bytes.Count(buf, []byte{'\n'}) > n {
			break
		}
	}
	// Drop the torn tail: the bytes after the last newline.
	buf = buf[:bytes.LastIndexByte(buf, '\n')+1]
	start := 0
	if pos > 0 {
		// buf starts mid-line; skip to the first whole line.
		start = bytes.IndexByte(buf, '\n') + 1
	}

	var recs []Record
	for end := len(buf); end > start && (n <= 0 || len(recs) < n); {
		lineStart := bytes.LastIndexByte(buf[start:end-1], '\n') + 1 + start
		line := buf[lineStart : end-1]
		off := pos + int64(lineStart)
		end = lineStart
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, fmt.Errorf("line at byte %d: %w", off, err)
		}
		if rec.RunID == "" || rec.Status == "" {
			return nil, fmt.Errorf("line at byte %d: not a run record (no run_id or status)", off)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}
