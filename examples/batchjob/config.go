package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hardenkit/harden/logx"
	"github.com/hardenkit/harden/retry"
)

// config is the job's configuration, read once at start-up.
type config struct {
	In, Out, State   string // absolute paths; State may be a postgres:// URL
	Checkpoint       int
	ProgressInterval time.Duration
	Rate             float64
	DepURL           string // empty starts the stand-in
	DepTimeout       time.Duration
	MaxAttempts      int
	RetryDelay       time.Duration
	FailRate         float64       // the stand-in's
	DepRetryAfter    time.Duration // the stand-in's
	LogLevel         slog.Level
	LogFormat        logx.Format
}

// parseConfig reads the configuration from flags and, for each flag not on
// the command line, from its environment variable: -dep-url from
// BATCHJOB_DEP_URL and so on. A bad value is reported on stderr naming the
// flag or variable it came from; -h prints the usage and returns
// flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := config{LogFormat: logx.FormatJSON}
	fs := flag.NewFlagSet("batchjob", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.In, "in", "", "input `file`: one JSON object with an \"id\" per line")
	fs.StringVar(&c.Out, "out", "", "output `file`: one JSON line per input record")
	fs.StringVar(&c.State, "state", "", "state `file`, or a postgres:// URL to keep it in PostgreSQL (default: the output path + \".state\")")
	fs.IntVar(&c.Checkpoint, "checkpoint", 100, "records between checkpoints")
	fs.DurationVar(&c.ProgressInterval, "progress-interval", 5*time.Second, "time between progress lines")
	fs.Float64Var(&c.Rate, "rate", 0, "most records per second sent to the dependency (0: no limit)")
	fs.StringVar(&c.DepURL, "dep-url", "", "`URL` to POST each record to (default: a stand-in started on loopback)")
	fs.DurationVar(&c.DepTimeout, "dep-timeout", 5*time.Second, "time allowed for each call to the dependency")
	fs.IntVar(&c.MaxAttempts, "max-attempts", retry.DefaultMaxAttempts, "calls per record, the first included")
	fs.DurationVar(&c.RetryDelay, "retry-delay", retry.DefaultInitialDelay, "ceiling of the first retry's jittered delay; it doubles per retry")
	fs.Float64Var(&c.FailRate, "fail-rate", 0.03, "stand-in: `share` of calls answered with 503 or 429")
	fs.DurationVar(&c.DepRetryAfter, "dep-retry-after", time.Second, "stand-in: Retry-After sent with failures (0: none)")
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "lowest `level` logged: DEBUG, INFO, WARN or ERROR")
	fs.Func("log-format", "`format` of the logs on stderr: json or text (default json)", func(s string) error {
		if c.LogFormat = logx.Format(s); s != "json" && s != "text" {
			return errors.New("must be json or text")
		}
		return nil
	})
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: batchjob -in records.jsonl -out results.jsonl [flags]\n"+
			"Exit codes: 0 succeeded, 1 failed, 2 bad flag, 3 partial, 75 another run holds the lock.\n")
		fs.PrintDefaults()
	}

	source, err := parseWithEnv(fs, "BATCHJOB_", args, getenv)
	if err != nil {
		return c, err
	}
	var errs []error
	bad := func(name, reason string) {
		errs = append(errs, fmt.Errorf("config: %s=%s: %s", source(name), fs.Lookup(name).Value, reason))
	}
	c.checkFiles(bad)
	switch {
	case c.Checkpoint < 1:
		bad("checkpoint", "must be at least 1")
	case c.ProgressInterval <= 0:
		bad("progress-interval", "must be positive")
	case !(c.Rate >= 0 && c.Rate <= 1e6): // NaN too
		bad("rate", "must be between 0 and 1e6 records per second")
	case c.DepTimeout <= 0:
		bad("dep-timeout", "must be positive")
	case c.MaxAttempts < 1:
		bad("max-attempts", "must be at least 1")
	case c.RetryDelay <= 0:
		bad("retry-delay", "must be positive")
	case !(c.FailRate >= 0 && c.FailRate <= 1):
		bad("fail-rate", "must be between 0 and 1")
	case c.DepRetryAfter < 0:
		bad("dep-retry-after", "must not be negative")
	}
	if u, err := url.Parse(c.DepURL); c.DepURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		bad("dep-url", "must be an http:// or https:// URL with a host")
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(stderr, err)
		return c, err
	}
	return c, nil
}

// checkFiles checks -in, -out and -state and makes them absolute, so that a
// mistake fails at once rather than after a run has begun.
func (c *config) checkFiles(bad func(name, reason string)) {
	if c.In == "" {
		bad("in", "required: the JSON-lines file of records")
		return
	}
	c.In = absPath(c.In)
	if st, err := os.Stat(c.In); err != nil || !st.Mode().IsRegular() {
		bad("in", "must be an existing regular file")
		return
	}
	if c.Out == "" {
		bad("out", "required: the file to write results to")
		return
	}
	c.Out, c.State = absPath(c.Out), cmp.Or(c.State, c.Out+".state")
	files := []struct{ name, path string }{{"out", c.Out}}
	if !inPostgres(c.State) {
		c.State = absPath(c.State)
		files = append(files, struct{ name, path string }{"state", c.State})
	}
	for _, f := range files {
		if st, err := os.Stat(filepath.Dir(f.path)); err != nil || !st.IsDir() {
			bad(f.name, "its directory does not exist")
		}
	}
	if sameFile(c.In, c.Out) || sameFile(c.In, c.State) || sameFile(c.Out, c.State) {
		bad("out", "-in, -out and -state must be three different files")
	}
}

// absPath returns path made absolute, or as it is if the working directory
// is gone (the error then comes when the file is opened).
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}

// inPostgres reports whether -state names a PostgreSQL database.
func inPostgres(state string) bool {
	return strings.HasPrefix(state, "postgres://") || strings.HasPrefix(state, "postgresql://")
}

// sameFile reports whether a and b name the same file, through links too.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return a == b || (errA == nil && errB == nil && os.SameFile(sa, sb))
}

// policy is the retry policy the flags describe.
func (c *config) policy(logger *slog.Logger) retry.Policy {
	return retry.Policy{MaxAttempts: c.MaxAttempts, InitialDelay: c.RetryDelay, MaxDelay: max(c.RetryDelay, retry.DefaultMaxDelay),
		AttemptTimeout: c.DepTimeout, Logger: logger}
}

// parseWithEnv parses args into fs, then sets every flag the command line
// left out from its environment variable: the flag's name in upper case with
// "_" for "-", after prefix. Each flag's usage names its variable. source
// tells where a flag's value came from, for error messages: "-name" or
// "NAME". Errors have been printed to fs.Output().
func parseWithEnv(fs *flag.FlagSet, prefix string, args []string, getenv func(string) string) (source func(name string) string, err error) {
	envName := func(f *flag.Flag) string { return prefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")) }
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " [$" + envName(f) + "]" })
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("config: unexpected argument %q: %s takes flags only (see -h)", fs.Arg(0), fs.Name())
		fmt.Fprintln(fs.Output(), err)
		return nil, err
	}
	fromEnv := map[string]string{}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f))
		if v == "" || onCommandLine[f.Name] {
			return
		}
		fromEnv[f.Name] = envName(f)
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("config: %s=%s: %w", envName(f), v, err))
		}
	})
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(fs.Output(), err)
		return nil, err
	}
	return func(name string) string {
		if env, ok := fromEnv[name]; ok {
			return env
		}
		return "-" + name
	}, nil
}
