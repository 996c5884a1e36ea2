package health

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Report is the answer to one probe: its overall status and the checks,
// in the order they were added. Draining is true for a readiness report
// after Checker.Drain, whose status is then fail.
type Report struct {
	Probe    Probe
	Status   Status
	Draining bool
	Checks   []CheckResult
}

// CheckResult is one check's part in a Report.
type CheckResult struct {
	Name     string
	Critical bool
	// Status is the check's status for the report's probe.
	Status Status
	// Err is the last run's error, nil if it passed. It can be non-nil
	// while Status is pass, when fewer than FailureThreshold consecutive
	// runs have failed.
	Err error
	// Reason is what a response shows of a check that is not passing
	// when error details are hidden: "check failed", or the package's
	// own explanation such as "timed out after 1s" or "no result yet".
	Reason string
	// Duration is how long the last run took and Time when it ended
	// (zero before the first); ConsecutiveFailures counts the failed runs
	// since the last pass.
	Duration            time.Duration
	Time                time.Time
	ConsecutiveFailures int
}

// Report answers probe p as the handler would: it runs the checks whose
// results have expired and waits for them. p must be one of Liveness,
// Readiness and Startup. If ctx ends first, Report returns what had been
// recorded by then with an error that matches ctx's.
func (c *Checker) Report(ctx context.Context, p Probe) (Report, error) {
	if p != Liveness && p != Readiness && p != Startup {
		return Report{}, fmt.Errorf("health: report: probe %v is not one of liveness, readiness, startup", p)
	}
	checks := c.selectChecks(p, "", nil)
	c.await(ctx, checks, p)
	rep := c.report(checks, p)
	if ctx.Err() != nil {
		return rep, fmt.Errorf("health: report %v: stopped waiting for the checks: %w", p, context.Cause(ctx))
	}
	return rep, nil
}

// selectChecks returns the checks of probe p, only the one named only if
// that is not empty, without those named in exclude.
func (c *Checker) selectChecks(p Probe, only string, exclude []string) []*check {
	all := *c.checks.Load()
	out := make([]*check, 0, len(all))
	for _, k := range all {
		if k.probes&p != 0 && (only == "" || k.name == only) && !slices.Contains(exclude, k.name) {
			out = append(out, k)
		}
	}
	return out
}

// await starts the runs that an answer for probe p needs and waits for
// them, which run concurrently, or for ctx to end.
func (c *Checker) await(ctx context.Context, checks []*check, p Probe) {
	var waits []*flight
	for _, k := range checks {
		if f := k.start(p, false); f != nil {
			waits = append(waits, f)
		}
	}
	for _, f := range waits {
		select {
		case <-f.done:
		case <-ctx.Done():
			return
		}
	}
}

// report assembles the answer for probe p from the recorded results.
func (c *Checker) report(checks []*check, p Probe) Report {
	r := Report{Probe: p, Status: StatusPass, Checks: make([]CheckResult, 0, len(checks))}
	for _, k := range checks {
		cr := k.result(p)
		r.Checks = append(r.Checks, cr)
		r.Status = worse(r.Status, cr.Status)
	}
	if p == Readiness && c.draining.Load() {
		r.Draining = true
		r.Status = StatusFail
	}
	return r
}
