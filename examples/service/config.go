package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hardenkit/harden/logx"
)

// config is the service's configuration, read once at start-up by
// loadConfig and never changed afterwards.
type config struct {
	Addr      string      // where the API listens, host:port
	LogLevel  slog.Level  // the lowest level logged
	LogFormat logx.Format // json for pipelines, text for a terminal

	DependencyURL         string        // the quota service; empty starts the local stand-in
	DependencyFailureRate float64       // share of the stand-in's calls that fail with 503
	DependencyTimeout     time.Duration // one quota lookup, retries included

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration

	DrainDelay      time.Duration // readiness red before the listener closes; 0 means none
	ShutdownTimeout time.Duration // how long in-flight requests get to finish

	DebugRoutes bool // GET /debug/panic and GET /debug/slow
}

// setting is one configuration value: its environment variable, its flag,
// its default, and how to parse its text into a config.
type setting struct {
	env    string
	flag   string
	def    string
	usage  string
	isBool bool // a flag that needs no value: -debug-routes
	parse  func(c *config, s string) error
}

// allSettings lists every setting. Each parse function returns only the
// reason a value is wrong; loadConfig adds where it came from.
func allSettings() []setting {
	return []setting{
		{env: "LISTEN_ADDR", flag: "addr", def: "127.0.0.1:8080",
			usage: "`host:port` the API listens on; port 0 picks a free one",
			parse: func(c *config, s string) error {
				host, port, err := net.SplitHostPort(s)
				if err != nil {
					return errors.New("must be host:port, such as 127.0.0.1:8080 or :8080")
				}
				if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
					return fmt.Errorf("port %q must be a number from 0 to 65535", port)
				}
				if strings.ContainsAny(host, " /") {
					return fmt.Errorf("host %q is not a host name or IP address", host)
				}
				c.Addr = s
				return nil
			}},
		{env: "LOG_LEVEL", flag: "log-level", def: "info",
			usage: "lowest `level` logged: debug, info, warn or error",
			parse: func(c *config, s string) error {
				switch strings.ToLower(s) {
				case "debug":
					c.LogLevel = slog.LevelDebug
				case "info":
					c.LogLevel = slog.LevelInfo
				case "warn", "warning":
					c.LogLevel = slog.LevelWarn
				case "error":
					c.LogLevel = slog.LevelError
				default:
					return errors.New("must be one of debug, info, warn, error")
				}
				return nil
			}},
		{env: "LOG_FORMAT", flag: "log-format", def: "json",
			usage: "`format` of the logs on stdout: json (for log pipelines) or text",
			parse: func(c *config, s string) error {
				switch f := logx.Format(strings.ToLower(s)); f {
				case logx.FormatJSON, logx.FormatText:
					c.LogFormat = f
				default:
					return errors.New("must be json or text")
				}
				return nil
			}},
		{env: "DEPENDENCY_URL", flag: "dependency-url", def: "",
			usage: "base `URL` of the quota service; empty starts a local stand-in",
			parse: func(c *config, s string) error {
				if s == "" {
					c.DependencyURL = ""
					return nil
				}
				u, err := url.Parse(s)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return errors.New("must be an absolute http or https URL, such as http://quota:8080")
				}
				if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
					return errors.New("must have no query, fragment or credentials")
				}
				c.DependencyURL = strings.TrimSuffix(s, "/")
				return nil
			}},
		{env: "DEPENDENCY_FAILURE_RATE", flag: "dependency-failure-rate", def: "0.3",
			usage: "`share` of the stand-in's calls that fail with 503, from 0 to 1",
			parse: func(c *config, s string) error {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil || math.IsNaN(f) {
					return errors.New("must be a number between 0 and 1")
				}
				if f < 0 || f > 1 {
					return errors.New("must be between 0 and 1")
				}
				c.DependencyFailureRate = f
				return nil
			}},
		{env: "DEPENDENCY_TIMEOUT", flag: "dependency-timeout", def: "5s",
			usage: "`duration` allowed for one call to the quota service, retries included",
			parse: positiveDuration(func(c *config) *time.Duration { return &c.DependencyTimeout })},
		{env: "READ_HEADER_TIMEOUT", flag: "read-header-timeout", def: "5s",
			usage: "`duration` allowed for a client to send the request headers",
			parse: positiveDuration(func(c *config) *time.Duration { return &c.ReadHeaderTimeout })},
		{env: "READ_TIMEOUT", flag: "read-timeout", def: "10s",
			usage: "`duration` allowed for a client to send the whole request",
			parse: positiveDuration(func(c *config) *time.Duration { return &c.ReadTimeout })},
		{env: "WRITE_TIMEOUT", flag: "write-timeout", def: "30s",
			usage: "`duration` allowed from the end of the request headers to the end of the response",
			parse: positiveDuration(func(c *config) *time.Duration { return &c.WriteTimeout })},
		{env: "IDLE_TIMEOUT", flag: "idle-timeout", def: "60s",
			usage: "`duration` a keep-alive connection may wait for its next request",
			parse: positiveDuration(func(c *config) *time.Duration { return &c.IdleTimeout })},
		{env: "SHUTDOWN_DRAIN_DELAY", flag: "shutdown-drain-delay", def: "5s",
			usage: "`duration` for which readiness reports 503 before the listener closes; 0 for none",
			parse: func(c *config, s string) error {
				d, err := parseDuration(s)
				if err != nil {
					return err
				}
				if d < 0 {
					return errors.New("must not be negative")
				}
				c.DrainDelay = d
				return nil
			}},
		{env: "SHUTDOWN_TIMEOUT", flag: "shutdown-timeout", def: "20s",
			usage: "`duration` allowed for requests in flight to finish after the listener closes",
			parse: positiveDuration(func(c *config) *time.Duration { return &c.ShutdownTimeout })},
		{env: "DEBUG_ROUTES", flag: "debug-routes", def: "false", isBool: true,
			usage: "serve GET /debug/panic and GET /debug/slow?for=2s (never in production)",
			parse: func(c *config, s string) error {
				b, err := strconv.ParseBool(s)
				if err != nil {
					return errors.New("must be true or false")
				}
				c.DebugRoutes = b
				return nil
			}},
	}
}

// positiveDuration parses a duration into the field that at returns.
func positiveDuration(at func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, s string) error {
		d, err := parseDuration(s)
		if err != nil {
			return err
		}
		if d <= 0 {
			return errors.New("must be positive")
		}
		*at(c) = d
		return nil
	}
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("must be a duration such as 500ms, 10s or 1m")
	}
	return d, nil
}

// errUsage reports that the command line could not be parsed; the flag
// package has already printed why, with the usage.
var errUsage = errors.New("config: invalid command line")

// loadConfig reads the configuration from the environment (getenv, such as
// os.Getenv) and then from the command-line arguments, so a flag overrides
// its variable. An empty variable counts as unset. Every bad value is
// reported, each naming its setting as the user wrote it:
//
//	config: DEPENDENCY_FAILURE_RATE=1.7: must be between 0 and 1
//	config: -read-timeout=soon: must be a duration such as 500ms, 10s or 1m
//
// It returns flag.ErrHelp for -h, and errUsage for a command line the flag
// package rejects, after printing the usage to usageOut.
func loadConfig(args []string, getenv func(string) string, usageOut io.Writer) (config, error) {
	type value struct {
		text, source string // source is "NAME" or "-flag"; "" for the default
	}
	settings := allSettings()
	values := make([]value, len(settings))
	for i, s := range settings {
		values[i] = value{text: s.def}
		if v := getenv(s.env); v != "" {
			values[i] = value{text: v, source: s.env}
		}
	}

	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.Usage = func() { printUsage(fs) }
	for i, s := range settings {
		set := func(v string) error {
			values[i] = value{text: v, source: "-" + s.flag}
			return nil
		}
		usage := fmt.Sprintf("%s (env %s, default %s)", s.usage, s.env, s.def)
		if s.def == "" {
			usage = fmt.Sprintf("%s (env %s)", s.usage, s.env)
		}
		if s.isBool {
			fs.BoolFunc(s.flag, usage, set)
		} else {
			fs.Func(s.flag, usage, set)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, errUsage
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("config: unexpected argument %q: the service takes flags only (see -h)", fs.Arg(0))
	}

	var c config
	var errs []error
	bad := func(i int, reason string) {
		v := values[i]
		name := v.source
		if name == "" {
			name = settings[i].env // a default can only be wrong if the code is
		}
		errs = append(errs, fmt.Errorf("config: %s=%s: %s", name, quoteIfNeeded(v.text), reason))
	}
	for i, s := range settings {
		if err := s.parse(&c, values[i].text); err != nil {
			bad(i, err.Error())
		}
	}
	if len(errs) > 0 {
		return config{}, errors.Join(errs...)
	}

	// Settings that only make sense together.
	if c.ReadHeaderTimeout > c.ReadTimeout {
		bad(indexOf(settings, "READ_HEADER_TIMEOUT"), fmt.Sprintf("must not be longer than READ_TIMEOUT (%s), which includes the headers", c.ReadTimeout))
	}
	if c.DependencyTimeout >= c.WriteTimeout {
		bad(indexOf(settings, "DEPENDENCY_TIMEOUT"), fmt.Sprintf("must be shorter than WRITE_TIMEOUT (%s), or a slow dependency makes the server drop the response", c.WriteTimeout))
	}
	return c, errors.Join(errs...)
}

func indexOf(settings []setting, env string) int {
	for i, s := range settings {
		if s.env == env {
			return i
		}
	}
	panic("config: no setting " + env) // a typo in this file
}

// quoteIfNeeded keeps plain values readable (RATE=1.7) and quotes the rest,
// so an empty value, spaces or control characters are visible.
func quoteIfNeeded(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r > '~' }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

func printUsage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprintf(out, `Usage: service [flags]

A small projects API hardened with harden: JSON logs with request IDs, problem
responses, validated input, retried calls to a quota service, health endpoints
and graceful shutdown. With no flags and no environment it listens on
127.0.0.1:8080 and starts a local stand-in for the quota service.

Every flag can also be set through the environment variable named in its
description; a flag overrides its variable.

Flags:
`)
	fs.PrintDefaults()
}
