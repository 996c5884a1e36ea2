package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hardenkit/harden/statefile"
)

const (
	// maxLineBytes is the longest input line read as a record; a longer one
	// is skipped and recorded as a failed record.
	maxLineBytes = 1 << 20
	// maxIDBytes is the longest record ID accepted. IDs travel in a header.
	maxIDBytes = 200
	// maxInputEcho is how much of an unparsable line the output keeps.
	maxInputEcho = 200
)

// Output statuses.
const (
	statusOK     = "ok"
	statusFailed = "failed"
)

// outputLine is one line of the output: the result for one input record.
type outputLine struct {
	Line       int64           `json:"line"`
	ID         string          `json:"id,omitempty"`
	Status     string          `json:"status"`
	Attempts   int             `json:"attempts,omitempty"`
	Error      string          `json:"error,omitempty"`
	Record     json.RawMessage `json:"record,omitempty"`
	Input      string          `json:"input,omitempty"` // the start of a line that is not a JSON object
	Enrichment json.RawMessage `json:"enrichment,omitempty"`
}

// runJob opens the state, runs the job once and returns the exit code.
func runJob(ctx context.Context, cfg config, logger *slog.Logger) int {
	f, err := statefile.OpenContext[checkpoint](ctx, cfg.state, &statefile.Options{
		Logger:      logger,
		LockTimeout: cfg.lockTimeout,
	})
	if le := (*statefile.LockedError)(nil); errors.As(err, &le) {
		// The error names the state file and the holder: pid, host, run ID
		// and start time.
		logger.ErrorContext(ctx, "another run holds the lock; not starting", "error", err.Error(),
			"holder_pid", le.Holder.PID, "holder_run_id", le.Holder.RunID, "exit_code", exitLocked)
		return exitLocked
	}
	if err != nil {
		logger.ErrorContext(ctx, "cannot open the state file", "error", err.Error())
		return statefile.ExitCode(statefile.StatusFailed)
	}
	defer f.Close()

	run, err := f.Begin(ctx)
	if err != nil {
		logger.ErrorContext(ctx, "cannot start the run", "error", err.Error())
		return statefile.ExitCode(statefile.StatusFailed)
	}
	j := &job{cfg: cfg, log: logger.With("run_id", run.ID()), state: f, run: run, now: time.Now}
	// Finish logs the run's summary line, with the error if the run stopped
	// early, and appends it to the summary log.
	rec, err := run.Finish(j.execute(ctx))
	code := statefile.ExitCode(rec.Status)
	if err != nil {
		j.log.ErrorContext(ctx, "cannot record the end of the run", "error", err.Error())
		code = max(code, statefile.ExitCode(statefile.StatusFailed))
	}
	return code
}

// checkpoint is the job's state, kept in the state file: how far the input
// has been processed, what the output held at that point, and the input it
// belongs to. See the package doc for why this makes every record appear
// exactly once.
type checkpoint struct {
	Input       string `json:"input"`
	InputSize   int64  `json:"input_size"`
	InputSHA256 string `json:"input_sha256"` // empty: no checkpoint yet
	Output      string `json:"output"`
	NextLine    int64  `json:"next_line"`    // input lines done
	InputOffset int64  `json:"input_offset"` // where line NextLine+1 starts
	OutputSize  int64  `json:"output_size"`  // output length once those lines were written
	Totals      totals `json:"totals"`
}

// totals counts the records of lines 1 to NextLine, over every run.
type totals struct {
	Processed int64 `json:"processed"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Retried   int64 `json:"retried"`
}

// job is one run of the batch job.
type job struct {
	cfg   config
	log   *slog.Logger
	state *statefile.File[checkpoint]
	run   *statefile.Run
	now   func() time.Time
	dep   *enricher
	saved checkpoint // the checkpoint last saved
}

// execute processes the input from the checkpoint on. It returns nil when the
// input is complete, and an error when it stopped before.
func (j *job) execute(ctx context.Context) error {
	fp, err := fingerprint(j.cfg.in)
	if err != nil {
		return err
	}
	cp, err := j.resumePoint(fp)
	if err != nil {
		return err
	}
	j.saved = cp
	out, discarded, err := openOutput(j.cfg.out, cp.OutputSize)
	if err != nil {
		return err
	}
	defer out.Close()
	in, err := os.Open(j.cfg.in)
	if err != nil {
		return fmt.Errorf("open input: %w", err)
	}
	defer in.Close()
	if _, err := in.Seek(cp.InputOffset, io.SeekStart); err != nil {
		return fmt.Errorf("input %s: seek to byte %d: %w", j.cfg.in, cp.InputOffset, err)
	}

	depURL := j.cfg.depURL
	if depURL == "" {
		s, err := startStandIn(j.cfg.standIn)
		if err != nil {
			return err
		}
		defer func() {
			calls, failed := s.Stats()
			j.log.DebugContext(ctx, "stand-in dependency stopped", "calls", calls, "failed_on_purpose", failed)
			s.Close()
		}()
		depURL = s.URL()
	}
	j.dep = newEnricher(depURL, j.cfg.policy(j.log))
	defer j.dep.Close()

	j.log.InfoContext(ctx, "batch job started",
		"input", j.cfg.in, "output", j.cfg.out, "state", j.cfg.state, "dependency", depURL,
		"records", fp.records, "resume_at_line", cp.NextLine+1, "records_done", cp.Totals.Processed,
		"output_bytes", cp.OutputSize, "discarded_output_bytes", discarded)
	if discarded > 0 {
		j.log.InfoContext(ctx, "discarded output written after the last checkpoint; those records are processed again",
			"bytes", discarded, "output", j.cfg.out)
	}
	return j.loop(ctx, cp, fp, in, out)
}

// loop processes records from cp on, taking a checkpoint every
// cfg.checkpoint records, at the end of the input and when ctx ends.
func (j *job) loop(ctx context.Context, cp checkpoint, fp inputPrint, in io.Reader, out *os.File) error {
	r := bufio.NewReaderSize(in, 64<<10)
	w := bufio.NewWriterSize(out, 64<<10)
	cur := cp
	pending := 0 // records since the last checkpoint
	prog := newProgress(j.now(), cp.Totals.Processed)
	pace := newPacer(j.cfg.rate)
	var buf []byte

	for {
		if ctx.Err() != nil {
			return j.stop(ctx, w, out, cur)
		}
		line, n, tooLong, err := readLine(r, maxLineBytes)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read input %s at byte %d: %w", j.cfg.in, cur.InputOffset, err)
		}
		if n == 0 { // end of input
			if err := j.checkpoint(w, out, cur); err != nil {
				return err
			}
			j.finishInput(ctx, cp, cur, fp)
			return nil
		}
		if len(bytes.TrimSpace(line)) == 0 && !tooLong { // blank line: not a record
			cur.NextLine++
			cur.InputOffset += int64(n)
			continue
		}

		if pace.wait(ctx, j.now()) != nil {
			return j.stop(ctx, w, out, cur)
		}
		o, itemErr, interrupted := j.process(ctx, cur.NextLine+1, line, tooLong)
		if interrupted {
			// The call was cut short: this record is not written, and the
			// next run starts with it.
			return j.stop(ctx, w, out, cur)
		}
		buf, err = appendJSONLine(buf[:0], o)
		if err != nil {
			return fmt.Errorf("encode the result of input line %d: %w", o.Line, err)
		}
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write output %s: %w", j.cfg.out, err)
		}
		cur.NextLine++
		cur.InputOffset += int64(n)
		cur.OutputSize += int64(len(buf))
		j.count(ctx, &cur.Totals, o, itemErr)

		if pending++; pending >= j.cfg.checkpoint {
			if err := j.checkpoint(w, out, cur); err != nil {
				return err
			}
			pending = 0
		}
		if prog.due(j.now(), cur.Totals.Processed, j.cfg.progress, j.cfg.progressInterval) {
			prog.log(ctx, j.log, j.now(), cur, fp.records)
		}
	}
}

// count adds one processed record to the run and the totals.
func (j *job) count(ctx context.Context, t *totals, o outputLine, itemErr error) {
	t.Processed++
	j.run.Add("processed", 1)
	if o.Attempts > 1 {
		t.Retried += int64(o.Attempts - 1)
		j.run.Add("retried", o.Attempts-1)
	}
	if o.Status == statusOK {
		t.Succeeded++
		j.run.Add("succeeded", 1)
		return
	}
	t.Failed++
	j.run.Add("failed", 1)
	item := o.ID
	if item == "" {
		item = fmt.Sprintf("line %d", o.Line)
	}
	j.run.ItemFailed(item, itemErr)
	j.log.WarnContext(withRecordID(ctx, o.ID), "record failed; written to the output marked failed",
		"line", o.Line, "attempts", o.Attempts, "error", itemErr.Error())
}

// checkpoint makes the output durable up to cur.OutputSize, then saves cur.
// The order is what makes a kill at any moment safe: a saved checkpoint never
// names output bytes that might not be on disk.
func (j *job) checkpoint(w *bufio.Writer, out *os.File, cur checkpoint) error {
	if cur == j.saved {
		return nil
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write output %s: %w", j.cfg.out, err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("fsync output %s: %w", j.cfg.out, err)
	}
	if err := j.state.Update(func(c *checkpoint) error { *c = cur; return nil }); err != nil {
		return fmt.Errorf("checkpoint at input line %d: %w", cur.NextLine, err)
	}
	if err := j.state.Save(); err != nil {
		return fmt.Errorf("checkpoint at input line %d: %w", cur.NextLine, err)
	}
	j.saved = cur
	j.log.Debug("checkpoint saved", "next_line", cur.NextLine+1, "output_bytes", cur.OutputSize)
	return nil
}

// stop takes a checkpoint after ctx ended and returns the run's error, which
// matches context.Canceled and says why the job stopped.
func (j *job) stop(ctx context.Context, w *bufio.Writer, out *os.File, cur checkpoint) error {
	stopErr := fmt.Errorf("stopped before input line %d: %w", cur.NextLine+1, context.Cause(ctx))
	if cause := context.Cause(ctx); !errors.Is(cause, ctx.Err()) { // a cause of the caller's own
		stopErr = fmt.Errorf("stopped before input line %d: %w: %w", cur.NextLine+1, cause, ctx.Err())
	}
	if err := j.checkpoint(w, out, cur); err != nil {
		return errors.Join(stopErr, err)
	}
	j.log.WarnContext(ctx, "stopped; the next run resumes here", "next_line", cur.NextLine+1,
		"records_done", cur.Totals.Processed, "cause", context.Cause(ctx).Error())
	return stopErr
}

// finishInput logs the totals of a completed input, and makes a run that
// completes an input whose earlier records failed (in runs that were killed
// or stopped) end partial, like the run that would have done it in one go.
func (j *job) finishInput(ctx context.Context, start, cur checkpoint, fp inputPrint) {
	if earlier := start.Totals.Failed; earlier > 0 {
		j.run.ItemFailed("earlier runs", fmt.Errorf(
			"%d records failed in runs before this one; the output has them marked failed, those runs' records name them", earlier))
	}
	level := slog.LevelInfo
	if cur.Totals.Failed > 0 {
		level = slog.LevelWarn
	}
	j.log.Log(ctx, level, "input complete",
		"records", cur.Totals.Processed, "succeeded", cur.Totals.Succeeded, "failed", cur.Totals.Failed,
		"retried", cur.Totals.Retried, "this_run", cur.Totals.Processed-start.Totals.Processed,
		"output", j.cfg.out, "output_bytes", cur.OutputSize, "input_records", fp.records)
}

// process handles one input line. interrupted reports that ctx ended while
// the record was being processed, so it has no result to write.
func (j *job) process(ctx context.Context, lineNo int64, line []byte, tooLong bool) (o outputLine, itemErr error, interrupted bool) {
	o = outputLine{Line: lineNo, Status: statusFailed}
	fail := func(err error) (outputLine, error, bool) {
		o.Error = err.Error()
		return o, err, false
	}
	if tooLong {
		o.Input = echo(line)
		return fail(fmt.Errorf("line %d is longer than %d bytes", lineNo, maxLineBytes))
	}
	rec := bytes.TrimSpace(line)
	var head struct {
		ID json.RawMessage `json:"id"`
	}
	// Unmarshal checks the whole line is valid JSON before it decodes.
	var syntax *json.SyntaxError
	if err := json.Unmarshal(rec, &head); rec[0] != '{' || errors.As(err, &syntax) {
		o.Input = echo(line)
		return fail(fmt.Errorf("line %d is not a JSON object", lineNo))
	} else if err != nil {
		o.Record = rec
		return fail(fmt.Errorf("line %d: %w", lineNo, err))
	}
	o.Record = rec
	if len(head.ID) == 0 || string(head.ID) == "null" {
		return fail(fmt.Errorf(`line %d has no "id"`, lineNo))
	}
	if err := json.Unmarshal(head.ID, &o.ID); err != nil {
		return fail(fmt.Errorf(`line %d: "id" is not a string`, lineNo))
	}
	if !validID(o.ID) {
		id := o.ID
		o.ID = ""
		return fail(fmt.Errorf(`line %d: "id" %q is not 1 to %d bytes of text without control characters`, lineNo, echo([]byte(id)), maxIDBytes))
	}

	enr, attempts, err := j.dep.Enrich(withRecordID(ctx, o.ID), o.ID, rec)
	o.Attempts = attempts
	if err != nil {
		if ctx.Err() != nil {
			return o, nil, true
		}
		return fail(err)
	}
	o.Status, o.Enrichment = statusOK, enr
	return o, nil, false
}

// validID reports whether id can be used as a record ID, in logs and in the
// Idempotency-Key header.
func validID(id string) bool {
	if id == "" || len(id) > maxIDBytes || !utf8.ValidString(id) {
		return false
	}
	return !strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// echo returns the start of line as valid text, for the output and logs.
func echo(line []byte) string {
	if len(line) > maxInputEcho {
		line = line[:maxInputEcho]
	}
	return strings.ToValidUTF8(string(line), "\uFFFD")
}

// appendJSONLine appends o as one JSON line.
func appendJSONLine(dst []byte, o outputLine) ([]byte, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return dst, err
	}
	dst = append(dst, b...)
	return append(dst, '\n'), nil
}

// readLine reads one line from r without its line ending. n is how many
// bytes of input it consumed (0 at the end of the input). A line longer than
// max is consumed whole but returned cut to max, with tooLong set. The line
// may point into r's buffer: it is valid until the next read.
func readLine(r *bufio.Reader, max int) (line []byte, n int, tooLong bool, err error) {
	chunk, err := r.ReadSlice('\n')
	n = len(chunk)
	if errors.Is(err, bufio.ErrBufferFull) { // a line longer than the buffer
		line = append([]byte(nil), chunk...)
		for errors.Is(err, bufio.ErrBufferFull) {
			chunk, err = r.ReadSlice('\n')
			n += len(chunk)
			if room := max + 2 - len(line); room > 0 { // +2: room for "\r\n"
				line = append(line, chunk[:min(len(chunk), room)]...)
			}
		}
	} else {
		line = chunk
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > max {
		line, tooLong = line[:max], true
	}
	return line, n, tooLong, err
}

// recordIDKey is the context key of the record being processed.
type recordIDKey struct{}

// withRecordID returns ctx carrying the record's ID, which the logger adds to
// every line logged with it (the retry warnings, for one).
func withRecordID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, recordIDKey{}, id)
}

// recordIDAttr is the logx extractor for withRecordID.
func recordIDAttr(ctx context.Context) slog.Attr {
	if id, ok := ctx.Value(recordIDKey{}).(string); ok {
		return slog.String("record_id", id)
	}
	return slog.Attr{}
}
