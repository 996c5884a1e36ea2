// Command batchjob is an unattended batch job built the way a fragile script
// should have been: it enriches a JSON-lines file of records through a flaky
// HTTP dependency, survives being killed at any moment, and tells cron,
// systemd and an operator exactly what happened.
//
// It is a template: copy the directory, replace the record type and the
// dependency call, keep the rest.
//
// # What it shows
//
//   - statefile: a checkpoint that survives kill -9 and power loss, a lock
//     against overlapping runs (a second start fails with a message naming
//     the holder), one record per run in a summary log (succeeded, partial,
//     failed, or abandoned when the process died), and the exit code.
//   - retry and result: each record is sent to the dependency under a retry
//     policy; 429 and 503 responses and their Retry-After are honoured,
//     a 4xx is not retried, and FromResponse turns the upstream's problem
//     response back into a typed error. Records go one at a time, so the
//     dependency never sees more than one call in flight from the job, and
//     -rate caps the calls per second on top of that.
//   - logx: JSON log lines on stderr, each with the run's run_id (and the
//     record_id of the record being processed), progress lines with counts
//     and rate, and one summary line per run.
//
// # Running it
//
// Generate a sample input, then process it:
//
//	go run ./examples/batchjob -generate 400 -in /tmp/records.jsonl
//	go run ./examples/batchjob -in /tmp/records.jsonl -out /tmp/results.jsonl
//
// With the defaults the run takes about 20 seconds, most of it waiting out
// the stand-in's "Retry-After: 1" as a polite client should, with a progress
// line every 5 seconds: time enough to kill it and start it again.
//
// By default the dependency is a stand-in HTTP server started on loopback
// inside the process, which fails a share of calls (-fail-rate) with 503 or
// 429 and a Retry-After header, as a struggling enrichment service would;
// -dep-url points the job at a real one instead (it POSTs each record as JSON
// to that URL and stores the JSON object it answers). Kill the job with
// kill -9 or Ctrl-C while it runs and start it again: it resumes from its
// last checkpoint. Run it with -h for every flag.
//
// Every input line that holds a record gives exactly one output line, in
// input order:
//
//	{"line":1,"id":"r-00001","status":"ok","attempts":1,"record":{...},"enrichment":{...}}
//	{"line":7,"id":"r-00007","status":"failed","attempts":1,"error":"...","record":{...}}
//
// A record that cannot be processed (a line that is not a JSON object with
// an "id", a record the dependency rejects with a 4xx, or one still failing
// when its retries run out) is written marked failed, recorded as an item
// failure of the run, and the run ends partial. Blank lines are skipped.
//
// # Files and exit codes
//
// Next to the state file (-state, by default the output path plus ".state")
// statefile keeps its backup, lock and summary log; see package statefile.
// Read the summary log with jq, or with statefile.ReadRuns:
//
//	tail -n 3 /tmp/results.jsonl.state.runs.jsonl | jq -c '{status, items, error}'
//
// The exit code is statefile.ExitCode of the run's status, plus two of the
// program's own:
//
//	0   succeeded: every record is in the output and none failed
//	1   failed: stopped by SIGTERM or SIGINT, an I/O error, or a state that does
//	    not match the input or output (the message says which); run it again
//	2   a bad flag (the message names it); nothing was touched
//	3   partial: every record is in the output, but some are marked failed
//	75  another run holds the lock (EX_TEMPFAIL: try again later); the message
//	    names its pid, host, run ID and start time
//
// # Exactly once, across kill -9 at any moment
//
// The state file holds a checkpoint: the number of input lines done and the
// byte offset of the next one, the output file's length when those lines'
// results had been written, running totals, and a fingerprint of the input
// (its size and SHA-256) and the output's path. Output is only ever appended
// to, and a checkpoint is taken every -checkpoint records, at the end, and when
// the job is told to stop, in this order:
//
//  1. flush the buffered output lines and fsync the output file;
//  2. save the new checkpoint with statefile, which replaces the state file
//     atomically and durably.
//
// So the first L bytes of the output, where L is the length the saved
// checkpoint names, are durable and hold the results of exactly the first N
// input lines it names, each once and in order; anything after L is from
// records done since. On start, the job truncates the output back to L (and
// fsyncs it) and resumes reading the input at line N+1, so whatever a killed
// run wrote after its last checkpoint, possibly a torn half line, is thrown
// away and written again exactly once. A kill between steps 1 and 2 only
// leaves more bytes after L; a kill inside step 2 leaves the old or the new
// checkpoint, and both hold. The dependency may see a record again after a
// kill, which is why each call carries the record's ID as its Idempotency-Key.
//
// The checkpoint of a fresh job (N = 0, L = 0) is saved before the output file
// is created, so an output without a checkpoint is never the job's own: the
// job refuses to touch a non-empty output it has no checkpoint for. It also
// refuses, rather than guess, when the output is shorter than the checkpoint
// says or does not end a line there (someone edited or replaced it), when the
// input's fingerprint has changed, and when the state belongs to another
// output file. To start over, remove the output and the state file and its
// backup (the .state and .state.bak files).
//
// Because totals are part of the checkpoint, the counts logged when the input
// is complete are exact too, and a run that completes an input in which an
// earlier, killed run had failed records still ends partial.
//
// # Stopping
//
// SIGTERM or SIGINT stops the job at the next record boundary: a record whose
// call was cut short is not written, a checkpoint is taken, and the run ends
// failed with an error that wraps context.Canceled and names the signal. The
// next start resumes there.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/hardenkit/harden/logx"
)

// Exit codes of the program's own; the others come from statefile.ExitCode.
const (
	exitUsage  = 2  // a bad flag; the same code the flag package uses
	exitLocked = 75 // EX_TEMPFAIL from sysexits.h: another run holds the lock
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program behind main, so tests can run it in process: it
// parses args, runs the job until it completes or ctx ends, and returns the
// exit code. Logs go to stderr; stdout gets only what -generate reports.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, code, ok := parseConfig(args, stderr)
	if !ok {
		return code
	}
	if cfg.generate > 0 {
		return generate(cfg, stdout, stderr)
	}
	return runJob(ctx, cfg, newLogger(cfg, stderr))
}

// newLogger returns the program's logger: JSON (or text) lines on w, with
// the record_id of the record being processed on every line logged with its
// context.
func newLogger(cfg config, w io.Writer) *slog.Logger {
	return logx.New(w, &logx.Options{
		Format:         cfg.logFormat,
		Level:          cfg.logLevel,
		Service:        "batchjob",
		HandlerOptions: logx.HandlerOptions{Extractors: []logx.Extractor{recordIDAttr}},
	})
}
