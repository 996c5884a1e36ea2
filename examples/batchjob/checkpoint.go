package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// inputPrint identifies an input file's content.
type inputPrint struct {
	size    int64
	sha256  string
	records int64 // lines that are not blank
}

// fingerprint reads the input once, for its size, SHA-256 and record count.
// Resuming against an input whose content changed would silently mix the
// results of two files; the fingerprint lets the job refuse instead. (For
// inputs of many gigabytes, a cheaper identity such as size and modification
// time may be preferable.)
func fingerprint(path string) (inputPrint, error) {
	f, err := os.Open(path)
	if err != nil {
		return inputPrint{}, fmt.Errorf("open input: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, h), 64<<10)
	var p inputPrint
	for {
		line, n, tooLong, err := readLine(r, maxLineBytes)
		p.size += int64(n)
		if tooLong || len(bytes.TrimSpace(line)) > 0 {
			p.records++
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return inputPrint{}, fmt.Errorf("read input %s: %w", path, err)
		}
	}
	p.sha256 = hex.EncodeToString(h.Sum(nil))
	return p, nil
}

// resumePoint returns the checkpoint to start from. For a fresh job it saves
// a first checkpoint before the output exists, so that any output the job
// finds later is covered by a checkpoint.
func (j *job) resumePoint(fp inputPrint) (checkpoint, error) {
	cp := j.state.State()
	startOver := fmt.Sprintf("to start over, remove %s, %s and %s.bak", j.cfg.out, j.cfg.state, j.cfg.state)
	if cp.InputSHA256 == "" {
		st, err := os.Stat(j.cfg.out)
		if err == nil && st.Size() > 0 {
			return cp, fmt.Errorf("output %s already holds %d bytes, but the state file %s has no checkpoint for it: move the output aside or choose another -out",
				j.cfg.out, st.Size(), j.cfg.state)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return cp, fmt.Errorf("output: %w", err)
		}
		cp = checkpoint{Input: j.cfg.in, InputSize: fp.size, InputSHA256: fp.sha256, Output: j.cfg.out}
		if err := j.state.Update(func(c *checkpoint) error { *c = cp; return nil }); err != nil {
			return cp, fmt.Errorf("first checkpoint: %w", err)
		}
		if err := j.state.Save(); err != nil {
			return cp, fmt.Errorf("first checkpoint: %w", err)
		}
		return cp, nil
	}
	if cp.Output != j.cfg.out {
		return cp, fmt.Errorf("the state file %s holds the checkpoint of output %s, not %s: pass that -out, or another -state",
			j.cfg.state, cp.Output, j.cfg.out)
	}
	if cp.InputSize != fp.size || cp.InputSHA256 != fp.sha256 {
		return cp, fmt.Errorf("input %s is not the input of the checkpoint (%s: %d bytes, sha256 %.16s…; now %d bytes, sha256 %.16s…), so the output holds results of other records; %s",
			j.cfg.in, cp.Input, cp.InputSize, cp.InputSHA256, fp.size, fp.sha256, startOver)
	}
	if cp.InputOffset < 0 || cp.InputOffset > fp.size || cp.NextLine < 0 || cp.OutputSize < 0 {
		return cp, fmt.Errorf("the checkpoint in %s is inconsistent (line %d, input byte %d of %d, output byte %d); %s",
			j.cfg.state, cp.NextLine, cp.InputOffset, fp.size, cp.OutputSize, startOver)
	}
	cp.Input = j.cfg.in // the same content may have moved
	return cp, nil
}

// openOutput opens the output for appending at size, the length the
// checkpoint names, after cutting off (and reporting) whatever a killed run
// wrote after that checkpoint. It refuses an output that is shorter than
// size, or that does not end a line there: that file is not the one the
// checkpoint was taken with.
func openOutput(path string, size int64) (f *os.File, discarded int64, err error) {
	_, statErr := os.Lstat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open output: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("output: %w", err)
	}
	startOver := "to start over, remove the output and the state file and its backup"
	if st.Size() < size {
		return nil, 0, fmt.Errorf("output %s is %d bytes, shorter than the %d bytes the checkpoint says were written: it was truncated or replaced; refusing to continue (%s)",
			path, st.Size(), size, startOver)
	}
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			return nil, 0, fmt.Errorf("output %s: read byte %d: %w", path, size-1, err)
		}
		if last[0] != '\n' {
			return nil, 0, fmt.Errorf("output %s does not end a line at byte %d, where the checkpoint says it does: it was changed; refusing to continue (%s)",
				path, size, startOver)
		}
	}
	if discarded = st.Size() - size; discarded > 0 {
		if err := f.Truncate(size); err != nil {
			return nil, 0, fmt.Errorf("output %s: cut back to the checkpoint's %d bytes: %w", path, size, err)
		}
	}
	if err := f.Sync(); err != nil {
		return nil, 0, fmt.Errorf("fsync output %s: %w", path, err)
	}
	if created {
		// A checkpoint will soon name bytes of this file: its directory entry
		// must survive a power loss too.
		if err := syncDir(filepath.Dir(path)); err != nil {
			return nil, 0, fmt.Errorf("output %s: fsync its directory: %w", path, err)
		}
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		return nil, 0, fmt.Errorf("output %s: seek to byte %d: %w", path, size, err)
	}
	return f, discarded, nil
}

// syncDir makes the entries of directory dir durable. Windows cannot fsync a
// directory (its file system journals metadata itself).
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
