package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hardenkit/harden/logx"
)

// envOf returns a getenv function over a map.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfigDefaults(t *testing.T) {
	got, err := parseConfig(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatalf("parseConfig with no settings: %v", err)
	}
	want := config{
		ListenAddr:            "127.0.0.1:8080",
		LogLevel:              slog.LevelInfo,
		LogFormat:             logx.FormatJSON,
		DependencyFailureRate: 0.3,
		DependencyTimeout:     5 * time.Second,
		ShutdownDrainDelay:    5 * time.Second,
		ShutdownTimeout:       20 * time.Second,
	}
	if got != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseConfigEnvAndFlags(t *testing.T) {
	env := map[string]string{
		"LISTEN_ADDR":             "0.0.0.0:9000",
		"LOG_LEVEL":               "debug",
		"LOG_FORMAT":              "text",
		"DEPENDENCY_URL":          "https://quota.internal:8443/",
		"DEPENDENCY_FAILURE_RATE": "0",
		"DEPENDENCY_TIMEOUT":      "2s",
		"SHUTDOWN_DRAIN_DELAY":    "0s",
		"SHUTDOWN_TIMEOUT":        "7s",
		"DEBUG_ROUTES":            "true",
	}
	got, err := parseConfig(nil, envOf(env), io.Discard)
	if err != nil {
		t.Fatalf("parseConfig: %v", err)
	}
	want := config{
		ListenAddr:            "0.0.0.0:9000",
		LogLevel:              slog.LevelDebug,
		LogFormat:             logx.FormatText,
		DependencyURL:         "https://quota.internal:8443", // trailing slash dropped
		DependencyFailureRate: 0,
		DependencyTimeout:     2 * time.Second,
		ShutdownDrainDelay:    0,
		ShutdownTimeout:       7 * time.Second,
		DebugRoutes:           true,
	}
	if got != want {
		t.Errorf("from the environment:\n got %+v\nwant %+v", got, want)
	}

	// A flag wins over its variable.
	got, err = parseConfig([]string{"-listen-addr", "127.0.0.1:0", "-log-level=warn", "-debug-routes=false"}, envOf(env), io.Discard)
	if err != nil {
		t.Fatalf("parseConfig with flags: %v", err)
	}
	want.ListenAddr, want.LogLevel, want.DebugRoutes = "127.0.0.1:0", slog.LevelWarn, false
	if got != want {
		t.Errorf("flags over the environment:\n got %+v\nwant %+v", got, want)
	}
}

// TestParseConfigNamesTheBadSetting checks that every rejected value is
// reported under the name the user wrote it with, with its value and why.
func TestParseConfigNamesTheBadSetting(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"rate from the environment", map[string]string{"DEPENDENCY_FAILURE_RATE": "1.7"}, nil,
			"config: DEPENDENCY_FAILURE_RATE=1.7: must be between 0 and 1"},
		{"rate from a flag", nil, []string{"-dependency-failure-rate=-0.1"},
			"config: -dependency-failure-rate=-0.1: must be between 0 and 1"},
		{"rate NaN", map[string]string{"DEPENDENCY_FAILURE_RATE": "NaN"}, nil,
			"config: DEPENDENCY_FAILURE_RATE=NaN: must be between 0 and 1"},
		{"rate not a number", map[string]string{"DEPENDENCY_FAILURE_RATE": "lots"}, nil,
			"config: DEPENDENCY_FAILURE_RATE=lots: parse error"},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, nil,
			`config: LOG_LEVEL=loud: slog: level string "loud": unknown name`},
		{"log format", map[string]string{"LOG_FORMAT": "xml"}, nil,
			"config: LOG_FORMAT=xml: must be json or text"},
		{"dependency URL", map[string]string{"DEPENDENCY_URL": "quota:8080"}, nil,
			"config: DEPENDENCY_URL=quota:8080: must be an absolute http or https URL, such as http://quota:8080"},
		{"zero timeout", nil, []string{"-shutdown-timeout=0s"},
			"config: -shutdown-timeout=0s: must be positive"},
		{"negative drain", map[string]string{"SHUTDOWN_DRAIN_DELAY": "-1s"}, nil,
			"config: SHUTDOWN_DRAIN_DELAY=-1s: must not be negative"},
		{"boolean", map[string]string{"DEBUG_ROUTES": "yes please"}, nil,
			"config: DEBUG_ROUTES=yes please: parse error"},
		{"dependency timeout above write timeout", nil, []string{"-dependency-timeout", "1m"},
			"config: -dependency-timeout=1m0s: must be above 0 and below the server's write timeout, 30s"},
		{"positional argument", nil, []string{"serve"},
			`config: unexpected argument "serve": service takes flags only (see -h)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseConfig(tt.args, envOf(tt.env), &stderr)
			if err == nil {
				t.Fatalf("parseConfig accepted env %v, args %q", tt.env, tt.args)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
			if got := stderr.String(); got != tt.want+"\n" {
				t.Errorf("stderr %q, want the error", got)
			}
		})
	}
}

func TestParseConfigReportsEveryBadSetting(t *testing.T) {
	env := map[string]string{"SHUTDOWN_TIMEOUT": "-1s", "SHUTDOWN_DRAIN_DELAY": "-1s"}
	_, err := parseConfig([]string{"-dependency-url", "nowhere"}, envOf(env), io.Discard)
	want := "config: -dependency-url=nowhere: must be an absolute http or https URL, such as http://quota:8080\n" +
		"config: SHUTDOWN_TIMEOUT=-1s: must be positive\n" +
		"config: SHUTDOWN_DRAIN_DELAY=-1s: must not be negative"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestParseConfigUsage(t *testing.T) {
	var out bytes.Buffer
	_, err := parseConfig([]string{"-h"}, envOf(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-listen-addr", "[$LISTEN_ADDR]", "-dependency-failure-rate", "[$DEPENDENCY_FAILURE_RATE]", "(default 0.3)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage does not show %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if _, err = parseConfig([]string{"-no-such-flag"}, envOf(nil), &out); err == nil {
		t.Error("unknown flag accepted")
	}
	if !strings.Contains(out.String(), "flag provided but not defined: -no-such-flag") {
		t.Errorf("unknown flag: output does not say which:\n%s", out.String())
	}
}

// TestRunBadConfig checks run's exit status and message for a bad setting:
// it fails before anything starts.
func TestRunBadConfig(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), nil, envOf(map[string]string{"DEPENDENCY_FAILURE_RATE": "1.7"}), &stdout, &stderr)
	if code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	if got, want := stderr.String(), "config: DEPENDENCY_FAILURE_RATE=1.7: must be between 0 and 1\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
	if code := run(t.Context(), []string{"-help"}, envOf(nil), &stdout, io.Discard); code != 0 {
		t.Errorf("-help: exit status %d, want 0", code)
	}
	if code := run(t.Context(), []string{"-bogus"}, envOf(nil), &stdout, io.Discard); code != 2 {
		t.Errorf("-bogus: exit status %d, want 2", code)
	}
}
