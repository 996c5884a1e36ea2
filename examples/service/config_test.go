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

func TestLoadConfigDefaults(t *testing.T) {
	got, err := loadConfig(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatalf("loadConfig with no settings: %v", err)
	}
	want := config{
		Addr:                  "127.0.0.1:8080",
		LogLevel:              slog.LevelInfo,
		LogFormat:             logx.FormatJSON,
		DependencyURL:         "",
		DependencyFailureRate: 0.3,
		DependencyTimeout:     5 * time.Second,
		ReadHeaderTimeout:     5 * time.Second,
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           60 * time.Second,
		DrainDelay:            5 * time.Second,
		ShutdownTimeout:       20 * time.Second,
		DebugRoutes:           false,
	}
	if got != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

func TestLoadConfigEnvAndFlags(t *testing.T) {
	env := map[string]string{
		"LISTEN_ADDR":             "0.0.0.0:9000",
		"LOG_LEVEL":               "debug",
		"LOG_FORMAT":              "text",
		"DEPENDENCY_URL":          "https://quota.internal:8443/",
		"DEPENDENCY_FAILURE_RATE": "0",
		"DEPENDENCY_TIMEOUT":      "2s",
		"READ_HEADER_TIMEOUT":     "1s",
		"READ_TIMEOUT":            "3s",
		"WRITE_TIMEOUT":           "4s",
		"IDLE_TIMEOUT":            "5s",
		"SHUTDOWN_DRAIN_DELAY":    "0",
		"SHUTDOWN_TIMEOUT":        "7s",
		"DEBUG_ROUTES":            "true",
	}
	got, err := loadConfig(nil, envOf(env), io.Discard)
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	want := config{
		Addr:                  "0.0.0.0:9000",
		LogLevel:              slog.LevelDebug,
		LogFormat:             logx.FormatText,
		DependencyURL:         "https://quota.internal:8443", // trailing slash dropped
		DependencyFailureRate: 0,
		DependencyTimeout:     2 * time.Second,
		ReadHeaderTimeout:     time.Second,
		ReadTimeout:           3 * time.Second,
		WriteTimeout:          4 * time.Second,
		IdleTimeout:           5 * time.Second,
		DrainDelay:            0,
		ShutdownTimeout:       7 * time.Second,
		DebugRoutes:           true,
	}
	if got != want {
		t.Errorf("from the environment:\n got %+v\nwant %+v", got, want)
	}

	// Flags override the environment, one by one.
	got, err = loadConfig([]string{"-addr", "127.0.0.1:0", "-log-level=warn", "-debug-routes=false", "-shutdown-drain-delay", "250ms"}, envOf(env), io.Discard)
	if err != nil {
		t.Fatalf("loadConfig with flags: %v", err)
	}
	want.Addr, want.LogLevel, want.DebugRoutes, want.DrainDelay = "127.0.0.1:0", slog.LevelWarn, false, 250*time.Millisecond
	if got != want {
		t.Errorf("flags over the environment:\n got %+v\nwant %+v", got, want)
	}

	// A bare boolean flag means true.
	got, err = loadConfig([]string{"-debug-routes"}, envOf(nil), io.Discard)
	if err != nil || !got.DebugRoutes {
		t.Errorf("-debug-routes: DebugRoutes = %v, err = %v; want true, nil", got.DebugRoutes, err)
	}
}

// TestLoadConfigNamesTheBadSetting checks that every rejected value is
// reported with the name the user wrote it under, its value and the reason.
func TestLoadConfigNamesTheBadSetting(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"rate above 1", map[string]string{"DEPENDENCY_FAILURE_RATE": "1.7"}, nil,
			"config: DEPENDENCY_FAILURE_RATE=1.7: must be between 0 and 1"},
		{"rate from a flag", nil, []string{"-dependency-failure-rate=-0.1"},
			"config: -dependency-failure-rate=-0.1: must be between 0 and 1"},
		{"rate not a number", map[string]string{"DEPENDENCY_FAILURE_RATE": "NaN"}, nil,
			"config: DEPENDENCY_FAILURE_RATE=NaN: must be a number between 0 and 1"},
		{"address without port", map[string]string{"LISTEN_ADDR": "localhost"}, nil,
			"config: LISTEN_ADDR=localhost: must be host:port, such as 127.0.0.1:8080 or :8080"},
		{"port out of range", nil, []string{"-addr", ":70000"},
			`config: -addr=:70000: port "70000" must be a number from 0 to 65535`},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, nil,
			"config: LOG_LEVEL=loud: must be one of debug, info, warn, error"},
		{"log format", map[string]string{"LOG_FORMAT": "xml"}, nil,
			"config: LOG_FORMAT=xml: must be json or text"},
		{"dependency URL scheme", map[string]string{"DEPENDENCY_URL": "quota:8080"}, nil,
			"config: DEPENDENCY_URL=quota:8080: must be an absolute http or https URL, such as http://quota:8080"},
		{"dependency URL credentials", map[string]string{"DEPENDENCY_URL": "http://u:p@quota"}, nil,
			"config: DEPENDENCY_URL=http://u:p@quota: must have no query, fragment or credentials"},
		{"duration syntax", map[string]string{"READ_TIMEOUT": "10"}, nil,
			"config: READ_TIMEOUT=10: must be a duration such as 500ms, 10s or 1m"},
		{"zero timeout", nil, []string{"-write-timeout=0s"},
			"config: -write-timeout=0s: must be positive"},
		{"negative drain", map[string]string{"SHUTDOWN_DRAIN_DELAY": "-1s"}, nil,
			"config: SHUTDOWN_DRAIN_DELAY=-1s: must not be negative"},
		{"boolean", map[string]string{"DEBUG_ROUTES": "yes please"}, nil,
			`config: DEBUG_ROUTES="yes please": must be true or false`},
		{"empty flag value is quoted", nil, []string{"-idle-timeout="},
			`config: -idle-timeout="": must be a duration such as 500ms, 10s or 1m`},
		{"header timeout above read timeout", map[string]string{"READ_HEADER_TIMEOUT": "20s"}, nil,
			"config: READ_HEADER_TIMEOUT=20s: must not be longer than READ_TIMEOUT (10s), which includes the headers"},
		{"dependency timeout above write timeout", nil, []string{"-dependency-timeout", "1m"},
			"config: -dependency-timeout=1m: must be shorter than WRITE_TIMEOUT (30s), or a slow dependency makes the server drop the response"},
		{"positional argument", nil, []string{"serve"},
			`config: unexpected argument "serve": the service takes flags only (see -h)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(tt.args, envOf(tt.env), io.Discard)
			if err == nil {
				t.Fatalf("loadConfig accepted env %v, args %q", tt.env, tt.args)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestLoadConfigReportsEveryBadSetting(t *testing.T) {
	env := map[string]string{"LOG_LEVEL": "loud", "IDLE_TIMEOUT": "forever"}
	_, err := loadConfig([]string{"-addr", "nowhere"}, envOf(env), io.Discard)
	if err == nil {
		t.Fatal("loadConfig accepted three bad settings")
	}
	want := "config: -addr=nowhere: must be host:port, such as 127.0.0.1:8080 or :8080\n" +
		"config: LOG_LEVEL=loud: must be one of debug, info, warn, error\n" +
		"config: IDLE_TIMEOUT=forever: must be a duration such as 500ms, 10s or 1m"
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
}

func TestLoadConfigCommandLine(t *testing.T) {
	var out bytes.Buffer
	_, err := loadConfig([]string{"-h"}, envOf(nil), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v, want flag.ErrHelp", err)
	}
	for _, s := range allSettings() {
		if !strings.Contains(out.String(), "-"+s.flag) || !strings.Contains(out.String(), "env "+s.env) {
			t.Errorf("usage does not list -%s with its variable %s:\n%s", s.flag, s.env, out.String())
		}
	}

	out.Reset()
	_, err = loadConfig([]string{"-no-such-flag"}, envOf(nil), &out)
	if !errors.Is(err, errUsage) {
		t.Errorf("unknown flag: err = %v, want errUsage", err)
	}
	if !strings.Contains(out.String(), "flag provided but not defined: -no-such-flag") {
		t.Errorf("unknown flag: output does not say which:\n%s", out.String())
	}
}

// TestRunBadConfig checks run's exit status and message for a bad setting;
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

	stderr.Reset()
	if code := run(t.Context(), []string{"-help"}, envOf(nil), &stdout, &stderr); code != 0 {
		t.Errorf("-help: exit status %d, want 0", code)
	}
	if !strings.Contains(stderr.String(), "Usage: service [flags]") {
		t.Errorf("-help printed no usage: %q", stderr.String())
	}
	if code := run(t.Context(), []string{"-bogus"}, envOf(nil), &stdout, io.Discard); code != 2 {
		t.Errorf("-bogus: exit status %d, want 2", code)
	}
}
