package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/hardenkit/harden/logx"
)

// config is the service's configuration, read once at start-up.
type config struct {
	ListenAddr            string
	LogLevel              slog.Level
	LogFormat             logx.Format
	DependencyURL         string // empty starts the local stand-in
	DependencyFailureRate float64
	DependencyTimeout     time.Duration
	ShutdownDrainDelay    time.Duration
	ShutdownTimeout       time.Duration
	DebugRoutes           bool
}

// parseConfig reads the configuration from flags and, for each flag not on
// the command line, from its environment variable: -listen-addr from
// LISTEN_ADDR and so on. A bad value is reported on stderr naming the flag or
// variable it came from; -h prints the usage and returns flag.ErrHelp.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := config{LogFormat: logx.FormatJSON}
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.ListenAddr, "listen-addr", "127.0.0.1:8080", "`host:port` to listen on; port 0 picks a free one")
	fs.TextVar(&c.LogLevel, "log-level", slog.LevelInfo, "lowest `level` logged: DEBUG, INFO, WARN or ERROR")
	fs.Func("log-format", "`format` of the logs on stdout: json or text (default json)", func(s string) error {
		if c.LogFormat = logx.Format(s); s != "json" && s != "text" {
			return errors.New("must be json or text")
		}
		return nil
	})
	fs.StringVar(&c.DependencyURL, "dependency-url", "", "base `URL` of the quota service; empty starts a local stand-in")
	fs.Float64Var(&c.DependencyFailureRate, "dependency-failure-rate", 0.3, "`share` of the stand-in's calls that fail with 503")
	fs.DurationVar(&c.DependencyTimeout, "dependency-timeout", 5*time.Second, "time allowed for one call to the quota service, retries included")
	fs.DurationVar(&c.ShutdownDrainDelay, "shutdown-drain-delay", 5*time.Second, "time readiness reports 503 before the listener closes")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "time requests in flight get to finish after that")
	fs.BoolVar(&c.DebugRoutes, "debug-routes", false, "serve GET /debug/panic and /debug/slow?for=2s (never in production)")

	source, err := parseWithEnv(fs, "", args, getenv)
	if err != nil {
		return c, err
	}
	var errs []error
	bad := func(name, reason string) {
		errs = append(errs, fmt.Errorf("config: %s=%s: %s", source(name), fs.Lookup(name).Value, reason))
	}
	if u, err := url.Parse(c.DependencyURL); c.DependencyURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		bad("dependency-url", "must be an absolute http or https URL, such as http://quota:8080")
	}
	c.DependencyURL = strings.TrimSuffix(c.DependencyURL, "/")
	if !(c.DependencyFailureRate >= 0 && c.DependencyFailureRate <= 1) { // NaN too
		bad("dependency-failure-rate", "must be between 0 and 1")
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "must be positive")
	}
	if c.ShutdownDrainDelay < 0 {
		bad("shutdown-drain-delay", "must not be negative")
	}
	if c.DependencyTimeout <= 0 || c.DependencyTimeout >= writeTimeout {
		bad("dependency-timeout", fmt.Sprintf("must be above 0 and below the server's write timeout, %s", writeTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(stderr, err)
		return c, err
	}
	return c, nil
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
