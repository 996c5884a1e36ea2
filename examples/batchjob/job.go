package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hardenkit/harden/statefile"
)

// Every record reaches the output exactly once, whenever the job is killed,
// because of the order of two writes. Every -checkpoint records the job
//
//  1. flushes the output lines it buffered and fsyncs the output, then
//  2. saves a checkpoint naming the input lines done and the output's length,
//     atomically and durably (statefile).
//
// So the first OutputSize bytes of the output hold the results of exactly the
// first NextLine input lines. On start the job cuts the output back to
// OutputSize, dropping whatever a killed run wrote after its last checkpoint,
// and reads the input from InputOffset on. The dependency may see a record
// again after a kill, so each call carries the record's ID as its
// Idempotency-Key.

// checkpoint is the job's state in the state file.
type checkpoint struct {
	Input       string `json:"input"`
	InputSize   int64  `json:"input_size"`
	InputSHA256 string `json:"input_sha256"` // empty: no checkpoint yet
	Output      string `json:"output"`
	NextLine    int64  `json:"next_line"`    // input lines done
	InputOffset int64  `json:"input_offset"` // where line NextLine+1 starts
	OutputSize  int64  `json:"output_size"`  // the output's length once those lines were written
	Totals      totals `json:"totals"`
}

// totals counts the records of lines 1 to NextLine, over every run.
type totals struct {
	Processed int64 `json:"processed"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Retried   int64 `json:"retried"`
}

// outputLine is the result for one input record.
type outputLine struct {
	Line       int64           `json:"line"`
	ID         string          `json:"id,omitempty"`
	Status     string          `json:"status"` // statusOK or statusFailed
	Attempts   int             `json:"attempts,omitempty"`
	Error      string          `json:"error,omitempty"`
	Record     json.RawMessage `json:"record,omitempty"`
	Input      string          `json:"input,omitempty"` // the start of a line that is not a JSON object
	Enrichment json.RawMessage `json:"enrichment,omitempty"`
}

const (
	statusOK, statusFailed = "ok", "failed"
	maxLineBytes           = 1 << 20 // a longer line is a failed record
	maxIDBytes             = 200     // IDs travel in a header
	maxInputEcho           = 200     // how much of a broken line the output keeps
)

// job is one run of the batch job.
type job struct {
	cfg   config
	log   *slog.Logger
	state *statefile.File[checkpoint]
	run   *statefile.Run
	dep   *enricher
	out   *os.File
	w     *bufio.Writer // buffers out
	saved checkpoint    // the checkpoint last saved
}

// execute processes the input from the checkpoint on. It returns nil when
// the input is complete, and an error when it stopped before.
func (j *job) execute(ctx context.Context) error {
	in, err := os.Open(j.cfg.In)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	defer in.Close() //hardenvet:ignore errcheck the input is only read
	// The input's size and SHA-256: resuming against an input whose content
	// changed would mix the results of two files. (For inputs of many
	// gigabytes, size and modification time may be enough.)
	h := sha256.New()
	size, err := io.Copy(h, in)
	if err != nil {
		return fmt.Errorf("input %s: %w", j.cfg.In, err)
	}
	cp, err := j.resumePoint(ctx, size, hex.EncodeToString(h.Sum(nil)))
	if err != nil {
		return err
	}
	discarded, err := j.openOutput(cp.OutputSize)
	if err != nil {
		return err
	}
	defer j.out.Close() //hardenvet:ignore errcheck every checkpoint fsyncs the output first, so Close has nothing left to lose
	if _, err := in.Seek(cp.InputOffset, io.SeekStart); err != nil {
		return fmt.Errorf("input %s: %w", j.cfg.In, err)
	}

	depURL := j.cfg.DepURL
	if depURL == "" {
		url, stop, err := startStandIn(j.cfg.FailRate, j.cfg.DepRetryAfter)
		if err != nil {
			return err
		}
		defer stop()
		depURL = url
	}
	j.dep = newEnricher(depURL, j.cfg.policy(j.log))
	defer j.dep.Close()

	j.log.InfoContext(ctx, "batch job started", "input", j.cfg.In, "output", j.cfg.Out, "state", j.cfg.State,
		"dependency", depURL, "resume_at_line", cp.NextLine+1, "records_done", cp.Totals.Processed, "discarded_output_bytes", discarded)
	return j.loop(ctx, cp, size, bufio.NewReaderSize(in, 64<<10))
}

// loop processes records from cp on, taking a checkpoint every
// cfg.Checkpoint records, at the end of the input and when ctx ends.
func (j *job) loop(ctx context.Context, start checkpoint, size int64, r *bufio.Reader) error {
	cur, pending := start, 0
	var pace <-chan time.Time // a tick per record, when -rate is set
	if j.cfg.Rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / j.cfg.Rate))
		defer t.Stop()
		pace = t.C
	}
	lastLog, lastDone := time.Now(), cur.Totals.Processed
	for {
		if ctx.Err() != nil {
			return j.stop(ctx, cur)
		}
		line, n, tooLong, err := readLine(r, maxLineBytes)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read input %s at byte %d: %w", j.cfg.In, cur.InputOffset, err)
		}
		if n == 0 { // the end of the input
			if err := j.checkpoint(ctx, cur); err != nil {
				return err
			}
			j.finishInput(ctx, start, cur)
			return nil
		}
		if len(bytes.TrimSpace(line)) == 0 && !tooLong { // a blank line is no record
			cur.NextLine, cur.InputOffset = cur.NextLine+1, cur.InputOffset+int64(n)
			continue
		}
		if pace != nil {
			select {
			case <-pace:
			case <-ctx.Done():
				return j.stop(ctx, cur)
			}
		}
		o, itemErr := j.process(ctx, cur.NextLine+1, line, tooLong)
		if ctx.Err() != nil && itemErr != nil {
			return j.stop(ctx, cur) // cut short: not written; the next run starts with it
		}
		b, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("encode the result of input line %d: %w", o.Line, err)
		}
		if _, err := j.w.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("write output %s: %w", j.cfg.Out, err)
		}
		cur.NextLine, cur.InputOffset, cur.OutputSize = cur.NextLine+1, cur.InputOffset+int64(n), cur.OutputSize+int64(len(b)+1)
		j.count(ctx, &cur.Totals, o, itemErr)
		if pending++; pending >= j.cfg.Checkpoint {
			if err := j.checkpoint(ctx, cur); err != nil {
				return err
			}
			pending = 0
		}
		if now := time.Now(); now.Sub(lastLog) >= j.cfg.ProgressInterval {
			done := cur.Totals.Processed
			j.log.InfoContext(ctx, "progress", "done", done, "percent", 100*cur.InputOffset/max(size, 1),
				"succeeded", cur.Totals.Succeeded, "failed", cur.Totals.Failed, "retried", cur.Totals.Retried,
				"rate_per_s", int64(float64(done-lastDone)/now.Sub(lastLog).Seconds()))
			lastLog, lastDone = now, done
		}
	}
}

// count adds one processed record to the run and the totals.
func (j *job) count(ctx context.Context, t *totals, o outputLine, itemErr error) {
	retried := max(o.Attempts-1, 0)
	t.Processed, t.Retried = t.Processed+1, t.Retried+int64(retried)
	j.run.Add("processed", 1)
	j.run.Add("retried", retried)
	if o.Status == statusOK {
		t.Succeeded++
		j.run.Add("succeeded", 1)
		return
	}
	t.Failed++
	j.run.Add("failed", 1)
	j.run.ItemFailed(cmp.Or(o.ID, fmt.Sprintf("line %d", o.Line)), itemErr)
	j.log.WarnContext(context.WithValue(ctx, recordIDKey{}, o.ID), "record failed; written to the output marked failed",
		"line", o.Line, "attempts", o.Attempts, "error", itemErr.Error())
}

// checkpoint makes the output durable up to cur.OutputSize, then saves cur:
// a saved checkpoint never names output bytes that might not be on disk. It
// saves after ctx ended too: that is how a stop keeps its progress.
func (j *job) checkpoint(ctx context.Context, cur checkpoint) error {
	if cur == j.saved {
		return nil
	}
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("write output %s: %w", j.cfg.Out, err)
	}
	if err := j.out.Sync(); err != nil {
		return fmt.Errorf("fsync output %s: %w", j.cfg.Out, err)
	}
	if err := j.save(context.WithoutCancel(ctx), cur); err != nil {
		return fmt.Errorf("checkpoint at input line %d: %w", cur.NextLine, err)
	}
	j.log.Debug("checkpoint saved", "next_line", cur.NextLine+1, "output_bytes", cur.OutputSize)
	return nil
}

// save stores cp in the state file, durably.
func (j *job) save(ctx context.Context, cp checkpoint) error {
	if err := j.state.Update(ctx, func(c *checkpoint) error { *c = cp; return nil }); err != nil {
		return err
	}
	j.saved = cp
	return nil
}

// stop takes a checkpoint after ctx ended and returns the run's error, which
// says why the job stopped.
func (j *job) stop(ctx context.Context, cur checkpoint) error {
	stopErr := fmt.Errorf("stopped before input line %d: %w", cur.NextLine+1, context.Cause(ctx))
	if err := j.checkpoint(ctx, cur); err != nil {
		return errors.Join(stopErr, err)
	}
	j.log.WarnContext(ctx, "stopped; the next run resumes here", "next_line", cur.NextLine+1, "records_done", cur.Totals.Processed)
	return stopErr
}

// finishInput logs the totals of the completed input. A run that completes
// an input whose records failed in earlier, stopped runs ends partial, like
// one run that did it all.
func (j *job) finishInput(ctx context.Context, start, cur checkpoint) {
	if start.Totals.Failed > 0 {
		j.run.ItemFailed("earlier runs", fmt.Errorf("%d records failed in runs before this one; the output has them marked failed", start.Totals.Failed))
	}
	level := slog.LevelInfo
	if cur.Totals.Failed > 0 {
		level = slog.LevelWarn
	}
	j.log.Log(ctx, level, "input complete", "records", cur.Totals.Processed, "succeeded", cur.Totals.Succeeded,
		"failed", cur.Totals.Failed, "retried", cur.Totals.Retried, "this_run", cur.Totals.Processed-start.Totals.Processed)
}

// process handles one input line and returns its output line; itemErr says
// why the record failed.
func (j *job) process(ctx context.Context, lineNo int64, line []byte, tooLong bool) (o outputLine, itemErr error) {
	o = outputLine{Line: lineNo, Status: statusFailed}
	fail := func(err error) (outputLine, error) {
		o.Error = err.Error()
		return o, err
	}
	rec := bytes.TrimSpace(line)
	var head struct {
		ID json.RawMessage `json:"id"`
	}
	switch err := json.Unmarshal(rec, &head); {
	case tooLong:
		o.Input = echo(line)
		return fail(fmt.Errorf("line %d is longer than %d bytes", lineNo, maxLineBytes))
	case rec[0] != '{' || err != nil:
		o.Input = echo(line)
		return fail(fmt.Errorf("line %d is not a JSON object", lineNo))
	}
	o.Record = rec
	if len(head.ID) == 0 || string(head.ID) == "null" {
		return fail(fmt.Errorf(`line %d has no "id"`, lineNo))
	}
	if err := json.Unmarshal(head.ID, &o.ID); err != nil {
		return fail(fmt.Errorf(`line %d: "id" is not a string`, lineNo))
	}
	if !validID(o.ID) {
		o.ID = ""
		return fail(fmt.Errorf(`line %d: "id" is not 1 to %d bytes of text without control characters`, lineNo, maxIDBytes))
	}
	enrichment, attempts, err := j.dep.Enrich(context.WithValue(ctx, recordIDKey{}, o.ID), o.ID, rec)
	o.Attempts = attempts
	if err != nil {
		return fail(err)
	}
	o.Status, o.Enrichment = statusOK, enrichment
	return o, nil
}

// validID reports whether id can be used as a record ID, in logs and in the
// Idempotency-Key header.
func validID(id string) bool {
	return id != "" && len(id) <= maxIDBytes && utf8.ValidString(id) &&
		!strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// echo returns the start of line as valid text, for the output.
func echo(line []byte) string {
	return strings.ToValidUTF8(string(line[:min(len(line), maxInputEcho)]), "\uFFFD")
}

// readLine reads one line from r without its line ending. n is how many
// bytes of input it consumed (0 at the end of the input). A line longer than
// limit is consumed whole but returned cut to limit, with tooLong set. The
// line may point into r's buffer: it is valid until the next read.
func readLine(r *bufio.Reader, limit int) (line []byte, n int, tooLong bool, err error) {
	line, err = r.ReadSlice('\n')
	n = len(line)
	if errors.Is(err, bufio.ErrBufferFull) { // longer than the buffer
		line = bytes.Clone(line)
		for errors.Is(err, bufio.ErrBufferFull) {
			var chunk []byte
			chunk, err = r.ReadSlice('\n')
			n += len(chunk)
			line = append(line, chunk[:min(len(chunk), max(0, limit+2-len(line)))]...) // +2: room for "\r\n"
		}
	}
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if len(line) > limit {
		line, tooLong = line[:limit], true
	}
	return line, n, tooLong, err
}

// resumePoint returns the checkpoint to start from, refusing a state that
// does not belong to this input and output. A fresh job saves its first
// checkpoint before it creates the output, so an output without a
// checkpoint is never the job's own, and it refuses to touch one.
func (j *job) resumePoint(ctx context.Context, size int64, sum string) (checkpoint, error) {
	cp, err := j.state.State()
	if err != nil {
		return cp, err
	}
	startOver := fmt.Sprintf("to start over, remove %s and the state in %s", j.cfg.Out, j.cfg.State)
	switch {
	case cp.InputSHA256 == "":
		if st, err := os.Stat(j.cfg.Out); err == nil && st.Size() > 0 {
			return cp, fmt.Errorf("output %s already holds %d bytes, but the state file %s has no checkpoint for it: move the output aside or choose another -out",
				j.cfg.Out, st.Size(), j.cfg.State)
		}
		cp = checkpoint{Input: j.cfg.In, InputSize: size, InputSHA256: sum, Output: j.cfg.Out}
		if err := j.save(ctx, cp); err != nil {
			return cp, fmt.Errorf("first checkpoint: %w", err)
		}
	case cp.Output != j.cfg.Out:
		return cp, fmt.Errorf("the state file %s holds the checkpoint of output %s, not %s: pass that -out, or another -state", j.cfg.State, cp.Output, j.cfg.Out)
	case cp.InputSize != size || cp.InputSHA256 != sum:
		return cp, fmt.Errorf("input %s is not the input of the checkpoint (%s, %d bytes, sha256 %.16s…), so the output holds results of other records; %s",
			j.cfg.In, cp.Input, cp.InputSize, cp.InputSHA256, startOver)
	case cp.InputOffset < 0 || cp.InputOffset > size || cp.NextLine < 0 || cp.OutputSize < 0:
		return cp, fmt.Errorf("the checkpoint in %s is inconsistent; %s", j.cfg.State, startOver)
	}
	j.saved = cp
	return cp, nil
}

// openOutput opens the output at size, the length the checkpoint names,
// cutting off whatever a killed run wrote after that checkpoint. It refuses
// an output shorter than size, or that does not end a line there: that is
// not the file the checkpoint was taken with.
func (j *job) openOutput(size int64) (discarded int64, err error) {
	_, statErr := os.Lstat(j.cfg.Out)
	f, err := os.OpenFile(j.cfg.Out, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, fmt.Errorf("output: %w", err)
	}
	refuse := func(format string, args ...any) (int64, error) {
		_ = f.Close() // the refusal is the error to report
		return 0, fmt.Errorf("output %s: "+format+"; refusing to continue (to start over, remove the output and the state file and its backup)", append([]any{j.cfg.Out}, args...)...)
	}
	st, err := f.Stat()
	last := []byte{'\n'}
	if err == nil && size > 0 && st.Size() >= size {
		_, err = f.ReadAt(last, size-1)
	}
	switch {
	case err != nil:
		return refuse("%v", err)
	case st.Size() < size:
		return refuse("%d bytes, shorter than the %d bytes the checkpoint says were written", st.Size(), size)
	case last[0] != '\n':
		return refuse("does not end a line at byte %d, where the checkpoint says it does", size)
	}
	_, err = f.Seek(size, io.SeekStart)
	if err = errors.Join(err, f.Truncate(size), f.Sync()); err != nil {
		return refuse("cut back to %d bytes: %v", size, err)
	}
	// A checkpoint will soon name bytes of a new file: its directory entry
	// must survive a power loss too. (Windows journals it by itself.)
	if errors.Is(statErr, fs.ErrNotExist) && runtime.GOOS != "windows" {
		d, err := os.Open(filepath.Dir(j.cfg.Out))
		if err == nil {
			err = errors.Join(d.Sync(), d.Close())
		}
		if err != nil {
			return refuse("fsync its directory: %v", err)
		}
	}
	j.out, j.w = f, bufio.NewWriterSize(f, 64<<10)
	return st.Size() - size, nil
}
