package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/hardenkit/harden/logx"
	"github.com/hardenkit/harden/retry"
)

// config is the validated command line.
type config struct {
	in, out, state string // absolute paths
	generate       int

	checkpoint       int
	progress         int
	progressInterval time.Duration
	lockTimeout      time.Duration
	rate             float64

	depURL      string // empty: start the stand-in
	depTimeout  time.Duration
	maxAttempts int
	retryDelay  time.Duration
	retryMax    time.Duration
	maxRetryAft time.Duration

	standIn standInConfig

	logLevel  slog.Level
	logFormat logx.Format
}

// standInFlags are the flags that only configure the stand-in dependency.
var standInFlags = []string{"fail-rate", "fail-max", "dep-latency", "dep-retry-after"}

// parseConfig parses and validates args. On failure it has written the reason
// to stderr and returns the exit code with ok false: 0 for -h, exitUsage for
// a bad flag.
func parseConfig(args []string, stderr io.Writer) (cfg config, code int, ok bool) {
	fs := flag.NewFlagSet("batchjob", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: batchjob -in records.jsonl -out results.jsonl [flags]\n"+
			"       batchjob -generate N -in records.jsonl\n\n"+
			"Enriches each JSON record of -in through an HTTP dependency, with retries, and\n"+
			"writes one line per record to -out. Resumes from its checkpoint after a kill.\n"+
			"Exit codes: 0 succeeded, 1 failed, 2 bad flag, 3 partial (some records failed),\n"+
			"75 another run holds the lock.\n\nFlags:\n")
		fs.PrintDefaults()
	}

	var (
		in, out, state, level, format string
	)
	fs.StringVar(&in, "in", "", "input `file`: one JSON object with an \"id\" per line")
	fs.StringVar(&out, "out", "", "output `file`: one JSON line per input record")
	fs.StringVar(&state, "state", "", "state `file` (default: the output path + \".state\")")
	fs.IntVar(&cfg.generate, "generate", 0, "write `N` sample records to -in (which must not exist) and exit")
	fs.IntVar(&cfg.checkpoint, "checkpoint", 100, "records between checkpoints")
	fs.IntVar(&cfg.progress, "progress", 1000, "log progress every `N` records ...")
	fs.DurationVar(&cfg.progressInterval, "progress-interval", 5*time.Second, "... or after this long, whichever comes first")
	fs.Float64Var(&cfg.rate, "rate", 0, "most records per second sent to the dependency (0: no limit)")
	fs.DurationVar(&cfg.lockTimeout, "lock-timeout", 0, "how long to wait for another run to release the lock (0: fail at once)")
	fs.StringVar(&cfg.depURL, "dep-url", "", "`URL` to POST each record to (default: a stand-in started on loopback)")
	fs.DurationVar(&cfg.depTimeout, "dep-timeout", 5*time.Second, "timeout of each call to the dependency")
	fs.IntVar(&cfg.maxAttempts, "max-attempts", retry.DefaultMaxAttempts, "calls per record, the first included")
	fs.DurationVar(&cfg.retryDelay, "retry-delay", retry.DefaultInitialDelay, "ceiling of the first retry's jittered delay; it doubles per retry")
	fs.DurationVar(&cfg.retryMax, "retry-max-delay", retry.DefaultMaxDelay, "cap on the delay between retries")
	fs.DurationVar(&cfg.maxRetryAft, "max-retry-after", retry.DefaultMaxRetryAfter, "cap on the delay a Retry-After header can ask for")
	fs.Float64Var(&cfg.standIn.FailRate, "fail-rate", 0.05, "stand-in: share of calls answered with 503 or 429 (0 to 1)")
	fs.IntVar(&cfg.standIn.FailMax, "fail-max", 2, "stand-in: most consecutive failures for one record; below -max-attempts, every record succeeds in the end")
	fs.DurationVar(&cfg.standIn.Latency, "dep-latency", time.Millisecond, "stand-in: time to answer each call")
	fs.DurationVar(&cfg.standIn.RetryAfter, "dep-retry-after", time.Second, "stand-in: Retry-After sent with failures (whole seconds; 0: none)")
	fs.StringVar(&level, "log-level", "info", "`level` of the logs: debug, info, warn or error")
	fs.StringVar(&format, "log-format", "json", "`format` of the logs on stderr: json or text")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, 0, false
		}
		return cfg, exitUsage, false // the flag package has printed the error and the usage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if err := cfg.validate(fs.Args(), in, out, state, level, format, set); err != nil {
		fmt.Fprintf(stderr, "batchjob: %v\nRun batchjob -h for usage.\n", err)
		return cfg, exitUsage, false
	}
	return cfg, 0, true
}

// validate checks every flag and fills in the derived fields. Its errors
// start with the name of the flag at fault.
func (cfg *config) validate(rest []string, in, out, state, level, format string, set map[string]bool) error {
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q: the input is given with -in", rest[0])
	}
	if err := cfg.logLevel.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("-log-level: %q is not debug, info, warn or error", level)
	}
	switch logx.Format(format) {
	case logx.FormatJSON, logx.FormatText:
		cfg.logFormat = logx.Format(format)
	default:
		return fmt.Errorf("-log-format: %q is not json or text", format)
	}
	if in == "" {
		return errors.New("-in: required: the JSON-lines file of records")
	}
	var err error
	if cfg.in, err = filepath.Abs(in); err != nil {
		return fmt.Errorf("-in: %w", err)
	}
	if set["generate"] {
		if cfg.generate < 1 {
			return fmt.Errorf("-generate: must be at least 1, got %d", cfg.generate)
		}
		if _, err := os.Lstat(cfg.in); err == nil {
			return fmt.Errorf("-in: %s already exists; -generate does not overwrite files", cfg.in)
		}
		return checkDir("-in", cfg.in)
	}
	if st, err := os.Stat(cfg.in); err != nil {
		return fmt.Errorf("-in: %w", err)
	} else if !st.Mode().IsRegular() {
		return fmt.Errorf("-in: %s is not a regular file", cfg.in)
	}
	if out == "" {
		return errors.New("-out: required: the file to write results to")
	}
	if cfg.out, err = filepath.Abs(out); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	if state == "" {
		state = cfg.out + ".state"
	}
	if cfg.state, err = filepath.Abs(state); err != nil {
		return fmt.Errorf("-state: %w", err)
	}
	if sameFile(cfg.in, cfg.out) {
		return fmt.Errorf("-out: %s is the input file", cfg.out)
	}
	if sameFile(cfg.in, cfg.state) || sameFile(cfg.out, cfg.state) {
		return fmt.Errorf("-state: %s is the input or the output file", cfg.state)
	}
	if st, err := os.Stat(cfg.out); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("-out: %s is not a regular file", cfg.out)
	}
	if err := checkDir("-out", cfg.out); err != nil {
		return err
	}
	if err := checkDir("-state", cfg.state); err != nil {
		return err
	}

	switch {
	case cfg.checkpoint < 1:
		return fmt.Errorf("-checkpoint: must be at least 1, got %d", cfg.checkpoint)
	case cfg.progress < 1:
		return fmt.Errorf("-progress: must be at least 1, got %d", cfg.progress)
	case cfg.progressInterval <= 0:
		return fmt.Errorf("-progress-interval: must be positive, got %v", cfg.progressInterval)
	case !(cfg.rate >= 0 && cfg.rate <= 1e6): // also catches NaN
		return fmt.Errorf("-rate: must be between 0 and 1e6 records per second, got %v", cfg.rate)
	case cfg.lockTimeout < 0:
		return fmt.Errorf("-lock-timeout: must not be negative, got %v", cfg.lockTimeout)
	case cfg.depTimeout <= 0:
		return fmt.Errorf("-dep-timeout: must be positive, got %v", cfg.depTimeout)
	case cfg.maxAttempts < 1:
		return fmt.Errorf("-max-attempts: must be at least 1, got %d", cfg.maxAttempts)
	case cfg.retryDelay <= 0:
		return fmt.Errorf("-retry-delay: must be positive, got %v", cfg.retryDelay)
	case cfg.retryMax < cfg.retryDelay:
		return fmt.Errorf("-retry-max-delay: must be at least -retry-delay (%v), got %v", cfg.retryDelay, cfg.retryMax)
	case cfg.maxRetryAft <= 0:
		return fmt.Errorf("-max-retry-after: must be positive, got %v", cfg.maxRetryAft)
	}
	if err := cfg.policy(nil).Validate(); err != nil {
		return fmt.Errorf("retry flags: %w", err)
	}

	if cfg.depURL != "" {
		u, err := url.Parse(cfg.depURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-dep-url: %q is not an http:// or https:// URL with a host", cfg.depURL)
		}
		for _, name := range standInFlags {
			if set[name] {
				return fmt.Errorf("-%s: configures the stand-in dependency, which -dep-url replaces", name)
			}
		}
		return nil
	}
	switch s := cfg.standIn; {
	case !(s.FailRate >= 0 && s.FailRate <= 1): // also catches NaN
		return fmt.Errorf("-fail-rate: must be between 0 and 1, got %v", s.FailRate)
	case s.FailMax < 0:
		return fmt.Errorf("-fail-max: must not be negative, got %d", s.FailMax)
	case s.Latency < 0:
		return fmt.Errorf("-dep-latency: must not be negative, got %v", s.Latency)
	case s.RetryAfter < 0:
		return fmt.Errorf("-dep-retry-after: must not be negative, got %v", s.RetryAfter)
	}
	return nil
}

// policy is the retry policy the flags describe, logging through logger.
func (cfg *config) policy(logger *slog.Logger) retry.Policy {
	return retry.Policy{
		MaxAttempts:    cfg.maxAttempts,
		InitialDelay:   cfg.retryDelay,
		MaxDelay:       cfg.retryMax,
		MaxRetryAfter:  cfg.maxRetryAft,
		AttemptTimeout: cfg.depTimeout,
		Logger:         logger,
	}
}

// checkDir reports whether the directory that is to hold path exists.
func checkDir(flagName, path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%s: the directory of %s: %w", flagName, path, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: %s is not a directory", flagName, dir)
	}
	return nil
}

// sameFile reports whether a and b name the same file: the same path, or,
// when both exist, the same file through links.
func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}
