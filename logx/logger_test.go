package logx

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	logger := New(buf, nil)
	ctx := withSpan(WithRequestID(context.Background(), "req-n"), testTraceID, testSpanID)
	logger.DebugContext(ctx, "hidden")
	logger.InfoContext(ctx, "shown", "password", "hunter2")
	line := buf.only(t)
	for k, want := range map[string]any{
		"msg": "shown", "level": "INFO", KeyRequestID: "req-n", KeyTraceID: testTraceHex,
		KeySpanID: testSpanHex, "password": Redacted,
	} {
		if got := line[k]; got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if _, ok := line[slog.TimeKey]; !ok {
		t.Error("no time")
	}
	if _, ok := line[slog.SourceKey]; ok {
		t.Error("source added by default")
	}
	for _, k := range []string{"service", "version", "env"} {
		if _, ok := line[k]; ok {
			t.Errorf("%s added although empty", k)
		}
	}
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	lv := &slog.LevelVar{}
	lv.Set(slog.LevelDebug)
	logger := New(buf, &Options{
		Level:       lv,
		AddSource:   true,
		Service:     "billing",
		Version:     "1.4.2",
		Environment: "staging",
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == "drop" {
				return slog.Attr{}
			}
			return a
		},
		HandlerOptions: HandlerOptions{RedactKeys: []string{"iban"}},
	})
	logger.WithGroup("g").Debug("dbg", "iban", "DE89", "drop", 1, "keep", 2)
	line := buf.only(t)
	for k, want := range map[string]any{
		"msg": "dbg", "level": "DEBUG", "service": "billing", "version": "1.4.2", "env": "staging",
	} {
		if got := line[k]; got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	g, _ := line["g"].(map[string]any)
	if g["iban"] != Redacted || g["keep"] != float64(2) {
		t.Errorf("g = %v, want iban redacted and keep=2", g)
	}
	if _, ok := g["drop"]; ok {
		t.Error("ReplaceAttr not applied")
	}
	src, _ := line[slog.SourceKey].(map[string]any)
	if file, _ := src["file"].(string); !strings.HasSuffix(file, "logger_test.go") {
		t.Errorf("source = %v, want this file", line[slog.SourceKey])
	}
}

func TestNewTextFormat(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	logger := New(buf, &Options{Format: FormatText, Service: "api"})
	logger.InfoContext(WithRequestID(context.Background(), "req-txt"), "hello", "token", "abc")
	out := buf.String()
	if json.Valid([]byte(out)) {
		t.Fatalf("text format wrote JSON: %s", out)
	}
	for _, want := range []string{"msg=hello", "service=api", "request_id=req-txt", "token=" + Redacted} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}

func TestNewUnknownFormatIsJSON(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	New(buf, &Options{Format: "yaml"}).Info("hello")
	if got := buf.only(t)["msg"]; got != "hello" {
		t.Errorf("msg = %v", got)
	}
}

func TestNewNilWriter(t *testing.T) {
	t.Parallel()
	logger := New(nil, &Options{Level: slog.LevelError})
	if logger == nil || !logger.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("New(nil, ...) returned an unusable logger")
	}
}
