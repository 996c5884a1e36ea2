package main

import (
	"context"
	"log/slog"
	"math"
	"time"
)

// progress decides when to log a progress line and what rate to report.
type progress struct {
	last      time.Time // when the last line was logged (or the run started)
	lastDone  int64     // records done by then
	startDone int64     // records done when the run started
}

func newProgress(now time.Time, done int64) *progress {
	return &progress{last: now, lastDone: done, startDone: done}
}

// due reports whether a line is due: every records since the last one, or
// interval since it, whichever comes first.
func (p *progress) due(now time.Time, done int64, every int, interval time.Duration) bool {
	return done-p.lastDone >= int64(every) || now.Sub(p.last) >= interval
}

// log logs a progress line: counts over every run so far, this run's share,
// the rate since the last line in records per second, and the time left at
// that rate.
func (p *progress) log(ctx context.Context, logger *slog.Logger, now time.Time, cur checkpoint, total int64) {
	done := cur.Totals.Processed
	rate := 0.0
	if el := now.Sub(p.last).Seconds(); el > 0 {
		rate = float64(done-p.lastDone) / el
	}
	attrs := []slog.Attr{
		slog.Int64("done", done),
		slog.Int64("total", total),
		slog.Float64("percent", round1(100*float64(done)/math.Max(1, float64(total)))),
		slog.Int64("succeeded", cur.Totals.Succeeded),
		slog.Int64("failed", cur.Totals.Failed),
		slog.Int64("retried", cur.Totals.Retried),
		slog.Int64("this_run", done-p.startDone),
		slog.Float64("rate_per_s", round1(rate)),
	}
	if rate > 0 && total > done {
		eta := time.Duration(float64(total-done) / rate * float64(time.Second))
		attrs = append(attrs, slog.String("eta", eta.Round(time.Second).String()))
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "progress", attrs...)
	p.last, p.lastDone = now, done
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
