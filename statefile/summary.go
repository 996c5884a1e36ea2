package statefile

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// logRun writes the one-line human summary of an ended run: Info for
// succeeded, Warn for partial, Error for failed and abandoned.
func logRun(ctx context.Context, logger *slog.Logger, rec Record) {
	level := slog.LevelError
	switch rec.Status {
	case StatusSucceeded:
		level = slog.LevelInfo
	case StatusPartial:
		level = slog.LevelWarn
	}
	logger.LogAttrs(ctx, level, summaryLine(rec), slog.String("run_id", rec.RunID),
		slog.String("status", string(rec.Status)), slog.Duration("duration", rec.Duration()))
}

// summaryLine describes a run in one line, e.g.
// "run 20260611T020000Z-1a2b3c4d5e6f partial in 2m3s: 3 items failed, first "b.csv": parse: bad row (processed=120)".
func summaryLine(rec Record) string {
	d := rec.Duration().Round(time.Millisecond)
	s := fmt.Sprintf("run %s %s", rec.RunID, rec.Status)
	switch rec.Status {
	case StatusSucceeded:
		s += fmt.Sprintf(" in %v", d)
	case StatusPartial:
		s += fmt.Sprintf(" in %v: %d item", d, rec.ItemFailures)
		if rec.ItemFailures != 1 {
			s += "s"
		}
		s += " failed"
		if len(rec.Failures) > 0 {
			s += fmt.Sprintf(", first %q", rec.Failures[0].Item)
			if rec.Failures[0].Error != "" {
				s += ": " + rec.Failures[0].Error
			}
		}
	case StatusFailed:
		s += fmt.Sprintf(" after %v: %s", d, rec.Error)
	case StatusAbandoned:
		s += fmt.Sprintf(": started %s by pid %d on host %s", rec.Started.UTC().Format(time.RFC3339), rec.PID, rec.Host)
		if !rec.LastSaved.IsZero() {
			s += ", last saved " + rec.LastSaved.UTC().Format(time.RFC3339)
		}
		s += "; " + rec.Error
	}
	if len(rec.Items) > 0 {
		var items []string
		for _, k := range slices.Sorted(maps.Keys(rec.Items)) {
			items = append(items, fmt.Sprintf("%s=%d", k, rec.Items[k]))
		}
		s += " (" + strings.Join(items, " ") + ")"
	}
	return s
}
