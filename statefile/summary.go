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
	var b strings.Builder
	d := rec.Duration().Round(time.Millisecond)
	switch rec.Status {
	case StatusSucceeded:
		fmt.Fprintf(&b, "run %s succeeded in %v", rec.RunID, d)
	case StatusPartial:
		fmt.Fprintf(&b, "run %s partial in %v: %d item", rec.RunID, d, rec.ItemFailures)
		if rec.ItemFailures != 1 {
			b.WriteString("s")
		}
		b.WriteString(" failed")
		if len(rec.Failures) > 0 {
			fmt.Fprintf(&b, ", first %q", rec.Failures[0].Item)
			if rec.Failures[0].Error != "" {
				fmt.Fprintf(&b, ": %s", rec.Failures[0].Error)
			}
		}
	case StatusFailed:
		fmt.Fprintf(&b, "run %s failed after %v: %s", rec.RunID, d, rec.Error)
	case StatusAbandoned:
		fmt.Fprintf(&b, "run %s abandoned: started %s by pid %d on host %s", rec.RunID,
			rec.Started.UTC().Format(time.RFC3339), rec.PID, rec.Host)
		if !rec.LastSaved.IsZero() {
			fmt.Fprintf(&b, ", last saved %s", rec.LastSaved.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "; %s", rec.Error)
	default:
		fmt.Fprintf(&b, "run %s %s", rec.RunID, rec.Status)
	}
	if len(rec.Items) > 0 {
		b.WriteString(" (")
		for i, k := range slices.Sorted(maps.Keys(rec.Items)) {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%s=%d", k, rec.Items[k])
		}
		b.WriteString(")")
	}
	return b.String()
}
