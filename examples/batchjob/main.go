// Command batchjob enriches a JSON-lines file of records through a flaky HTTP
// service the way an unattended job should: it resumes exactly once after
// kill -9, refuses to run twice at once, records every run in a summary log
// and reports how the run went in its exit code. Copy it as a template;
// README.md says what each part shows and how to see it.
//
// This file is the whole run, in order: configuration, logger, the state
// with its lock, the run's record, the job and the exit code. job.go holds
// the loop and the order of writes that puts every record in the output
// exactly once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hardenkit/harden/logx"
	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Exit codes of the program's own; the others come from statefile.ExitCode:
// 0 succeeded, 1 failed, 3 partial.
const (
	exitUsage  = 2  // a bad flag, as the flag package uses
	exitLocked = 75 // EX_TEMPFAIL from sysexits.h: another run holds the lock
)

func main() {
	// SIGTERM or Ctrl-C ends ctx: the job stops at the next record boundary.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the program with its inputs and outputs as parameters, so tests can
// call it; it returns the exit code. Logs go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return exitUsage // parseConfig has said why
	}
	// Every line logged with a record's context carries its record_id.
	logger := logx.New(stderr, &logx.Options{Format: cfg.LogFormat, Level: cfg.LogLevel, Service: "batchjob",
		HandlerOptions: logx.HandlerOptions{Extractors: []logx.Extractor{recordIDAttr}}})

	// The state: the checkpoint, the lock against a second run, and the
	// summary log of runs. It is opened here and nowhere else.
	state, closeState, err := openState(ctx, cfg.State, &statefile.Options{Logger: logger})
	if locked, ok := errors.AsType[*statefile.LockedError](err); ok {
		// The error names the state file and the holder: pid, host, run ID.
		logger.ErrorContext(ctx, "another run holds the lock; not starting", "error", err.Error(),
			"holder_pid", locked.Holder.PID, "holder_run_id", locked.Holder.RunID)
		return exitLocked
	}
	if err != nil {
		logger.ErrorContext(ctx, "cannot open the state file", "error", err.Error())
		return statefile.ExitCode(statefile.StatusFailed)
	}
	defer func() {
		if err := closeState(); err != nil {
			logger.ErrorContext(ctx, "cannot close the state", "error", err.Error())
		}
	}()

	thisRun, err := state.Begin(ctx)
	if thisRun == nil {
		logger.ErrorContext(ctx, "cannot start the run", "error", err.Error())
		return statefile.ExitCode(statefile.StatusFailed)
	}
	if err != nil {
		// Only the directory fsync failed: the run has begun, and is
		// finished as usual, but its start may not survive a power loss.
		logger.WarnContext(ctx, "the start of the run may not be durable", "run_id", thisRun.ID(), "error", err.Error())
	}
	j := &job{cfg: cfg, log: logger.With("run_id", thisRun.ID()), state: state, run: thisRun}
	// Finish appends the run's record to the summary log and logs it: failed
	// with the error if the job stopped early, partial if records failed.
	rec, err := thisRun.Finish(j.execute(ctx))
	code := statefile.ExitCode(rec.Status)
	if err != nil {
		j.log.ErrorContext(ctx, "cannot record the end of the run", "error", err.Error())
		code = max(code, statefile.ExitCode(statefile.StatusFailed))
	}
	return code
}

// jobName names this job's state, lock and runs in PostgreSQL: one name per
// job, whichever host runs it.
const jobName = "batchjob"

// openState opens the job's state in a file, or with -state postgres://…
// in PostgreSQL, where a job that may start on any of several hosts keeps
// one state and one lock. Everything else is the same either way. close
// closes the File, and the pool after it.
func openState(ctx context.Context, where string, opts *statefile.Options) (f *statefile.File[checkpoint], close func() error, err error) {
	if !inPostgres(where) {
		f, err = statefile.Open[checkpoint](ctx, where, opts)
		return f, func() error { return f.Close() }, err
	}
	pool, err := pgxpool.New(ctx, where)
	if err != nil {
		return nil, nil, fmt.Errorf("-state: %w", err)
	}
	if f, err = statefile.OpenStore[checkpoint](ctx, pgstore.New(pool, jobName), opts); err != nil {
		pool.Close()
		return nil, nil, err
	}
	return f, func() error { defer pool.Close(); return f.Close() }, nil
}
