package health

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Check describes one health check. Name and Func are required.
type Check struct {
	// Name identifies the check in responses, logs and metrics, and in
	// the URL /<probe>/<Name>. It must be 1 to 128 ASCII letters, digits,
	// '.', '_' or '-', and not one of livez, readyz, healthz and startupz.
	Name string

	// Func reports the health of one thing by returning nil or an error.
	// Its context ends after Timeout; if Func does not return by then, the
	// run is reported as timed out anyway and left to finish on its own.
	// A panic in Func is recovered and reported as a failure.
	Func func(ctx context.Context) error

	// Timeout bounds one run. Zero means Options.Timeout. Keep it below
	// the orchestrator's probe timeout (timeoutSeconds in Kubernetes).
	Timeout time.Duration

	// Critical makes the probe fail (503) while this check fails; a
	// failing check that is not critical makes it warn (200). Set it for
	// every dependency the process cannot serve without.
	Critical bool

	// Probes lists the probes the check belongs to, such as
	// Liveness|Readiness. Zero means Readiness.
	Probes Probe

	// Interval, if not zero, runs the check in the background every
	// Interval from Add until Checker.Close, and probes only read its
	// result; use it for checks too costly to run on demand.
	Interval time.Duration

	// FailureThreshold is the number of consecutive failures after which
	// a passing check turns red. Zero means Options.FailureThreshold.
	FailureThreshold int
}

const maxNameLen = 128

// reasonCheckFailed is all a caller without details learns of an error.
const reasonCheckFailed = "check failed"

func (ch *Check) validate() error {
	if ch.Name == "" {
		return errors.New("empty name")
	}
	if len(ch.Name) > maxNameLen {
		return fmt.Errorf("name is %d bytes, longer than %d", len(ch.Name), maxNameLen)
	}
	for i := 0; i < len(ch.Name); i++ {
		b := ch.Name[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.' || b == '_' || b == '-') {
			return fmt.Errorf("name has %q at byte %d; use ASCII letters, digits, '.', '_' or '-'", b, i)
		}
	}
	if strings.Trim(ch.Name, ".") == "" {
		return fmt.Errorf("name %q is only dots, a path segment no router serves", ch.Name)
	}
	if _, ok := endpointProbe(ch.Name); ok {
		return errors.New("name is reserved for a probe endpoint")
	}
	switch {
	case ch.Func == nil:
		return errors.New("nil Func")
	case ch.Timeout < 0:
		return fmt.Errorf("negative Timeout %v", ch.Timeout)
	case ch.Interval < 0:
		return fmt.Errorf("negative Interval %v", ch.Interval)
	case ch.FailureThreshold < 0:
		return fmt.Errorf("negative FailureThreshold %d", ch.FailureThreshold)
	case ch.Probes&^allProbes != 0:
		return fmt.Errorf("unknown probe in Probes: %v", ch.Probes)
	}
	return nil
}

// check is a registered Check with its state.
type check struct {
	c         *Checker
	name      string
	fn        func(context.Context) error
	timeout   time.Duration
	critical  bool
	probes    Probe
	interval  time.Duration
	threshold int
	attrs     metric.MeasurementOption

	mu     sync.Mutex
	flight *flight // the run whose result is awaited, if any
	// running is true while a goroutine is inside Func, which outlives
	// its flight when Func ignores its context. No second run starts
	// while it is true: that bounds goroutines by the number of checks.
	running bool
	state   state
}

// state is the last recorded result of a check and what it means.
type state struct {
	status     Status        // "" while pending, else pass, warn or fail
	err        error         // last run's error, nil if it passed
	reason     string        // what a caller may see of err
	dur        time.Duration // last run's duration
	at         time.Time     // when the last run ended
	fails      int           // consecutive failures
	everPassed bool          // startup passes for good once this is set
	expires    time.Time     // when a probe must run the check again
}

// flight is one awaited run. done is closed once its result is recorded,
// by the run itself or by its timeout.
type flight struct {
	done    chan struct{}
	settled bool // guarded by check.mu
	timer   *time.Timer
}

// outcome is what one run produced.
type outcome struct {
	err     error
	reason  string // shown to callers who may not see err; "" means "check failed"
	dur     time.Duration
	skipped bool // recorded without running Func: there is no duration
}

// failure is an outcome whose reason the package gives, shown to every
// caller.
func failure(reason string, cause error) outcome {
	return outcome{err: fmt.Errorf("%s: %w", reason, cause), reason: reason}
}

func newCheck(c *Checker, ch Check) *check {
	return &check{
		c:         c,
		name:      ch.Name,
		fn:        ch.Func,
		timeout:   cmp.Or(ch.Timeout, c.opts.Timeout),
		critical:  ch.Critical,
		probes:    cmp.Or(ch.Probes, Readiness),
		interval:  ch.Interval,
		threshold: cmp.Or(ch.FailureThreshold, c.threshold),
		attrs: metric.WithAttributeSet(attribute.NewSet(
			attribute.String("health.check.name", ch.Name),
			attribute.Bool("health.check.critical", ch.Critical),
		)),
	}
}

// start returns the run a probe for p must wait for, starting one if the
// check's result has expired, or nil if the recorded result will do.
// force starts a run whatever the result's age (the background loop).
func (k *check) start(p Probe, force bool) *flight {
	defer k.c.deliver() // after the unlock below: a skipped run may queue a change
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	switch {
	case force:
	case k.interval > 0, p == Startup && k.state.everPassed, now.Before(k.state.expires):
		return nil
	}
	if k.flight != nil {
		return k.flight
	}
	if k.running {
		// The last run timed out and is still inside Func. Starting
		// another could pile up goroutines behind a hung dependency, so
		// this attempt fails without running.
		o := failure(fmt.Sprintf("previous run still running after its %v timeout", k.timeout), context.DeadlineExceeded)
		o.skipped = true
		k.record(o, now)
		return nil
	}
	f := &flight{done: make(chan struct{})}
	k.flight = f
	k.running = true
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	// The timer, not the run, guarantees an answer by the deadline: a
	// Func that ignores ctx cannot hold waiters past it.
	f.timer = time.AfterFunc(k.timeout, func() {
		o := failure(fmt.Sprintf("timed out after %v", k.timeout), context.DeadlineExceeded)
		o.dur = k.timeout
		k.settle(f, o, false)
	})
	go k.run(ctx, cancel, f)
	return f
}

// run calls Func once and records what it did.
func (k *check) run(ctx context.Context, cancel context.CancelFunc, f *flight) {
	start := time.Now()
	returned := false
	var err error
	defer func() {
		var o outcome
		switch {
		case returned && err != nil && ctx.Err() != nil:
			o = failure(fmt.Sprintf("timed out after %v", k.timeout), err)
		case returned:
			o.err = err
		default:
			// recover is called directly by this deferred function, as it
			// must be to stop a panic.
			if v := recover(); v != nil {
				k.c.opts.Logger.ErrorContext(ctx, "health: check panicked",
					"check", k.name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				o.err = fmt.Errorf("check panicked: %v", v)
			} else {
				o.err = errors.New("check called runtime.Goexit")
			}
		}
		o.dur = time.Since(start)
		cancel()
		f.timer.Stop()
		k.settle(f, o, true)
	}()
	err = k.fn(ctx)
	returned = true
}

// settle records o as the result of f unless f already has one. fromRun
// says the caller is the run's goroutine, leaving Func.
func (k *check) settle(f *flight, o outcome, fromRun bool) {
	k.mu.Lock()
	if fromRun {
		k.running = false
	}
	if f.settled {
		k.mu.Unlock()
		if fromRun {
			k.c.opts.Logger.LogAttrs(context.Background(), slog.LevelDebug, "health: check returned after its timeout",
				slog.String("check", k.name), slog.Duration("duration", o.dur), slog.Any("error", o.err))
		}
		return
	}
	f.settled = true
	k.flight = nil
	k.record(o, time.Now())
	k.mu.Unlock()
	close(f.done)
	k.c.deliver()
}

// record stores a result, works out the check's status and queues a
// change if it moved. The caller holds k.mu and calls deliver after
// unlocking.
func (k *check) record(o outcome, now time.Time) {
	s := &k.state
	prev := s.status
	s.err, s.dur, s.at, s.reason = o.err, o.dur, now, ""
	s.expires = now.Add(k.c.opts.CacheTTL)
	if o.err == nil {
		s.fails = 0
		s.status = StatusPass
		s.everPassed = true
	} else {
		s.reason = cmp.Or(o.reason, reasonCheckFailed)
		s.fails++
		// Below the threshold the status stays as it was: pass after a
		// pass, pending before the first.
		if s.fails >= k.threshold {
			s.status = k.failStatus()
		}
	}
	k.c.metrics.record(k, o, s.status)
	if s.status != prev {
		ch := Change{Check: k.name, Critical: k.critical, From: prev, To: s.status, Time: now}
		if s.status != StatusPass {
			ch.Err = o.err
		}
		k.c.enqueue(ch)
	} else if o.err != nil {
		k.c.opts.Logger.DebugContext(context.Background(), "health: check failed",
			"check", k.name, "consecutive_failures", s.fails, "error", o.err)
	}
}

func (k *check) failStatus() Status {
	if k.critical {
		return StatusFail
	}
	return StatusWarn
}

// loop runs the check every interval until stop is closed.
func (k *check) loop(stop <-chan struct{}) {
	t := time.NewTicker(k.interval)
	defer t.Stop()
	for {
		k.start(0, true)
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

// result returns the check's part in a report for probe p.
func (k *check) result(p Probe) CheckResult {
	k.mu.Lock()
	s := k.state
	k.mu.Unlock()
	r := CheckResult{
		Name:                k.name,
		Critical:            k.critical,
		Status:              s.status,
		Err:                 s.err,
		Reason:              s.reason,
		Duration:            s.dur,
		Time:                s.at,
		ConsecutiveFailures: s.fails,
	}
	switch {
	case p == Startup && s.everPassed:
		r.Status = StatusPass
	case s.status != "":
	case p == Liveness:
		// Pending: a process is not restarted for a check that has not
		// reported yet.
		r.Status = StatusPass
	default:
		// Pending: not ready, not started, until proven.
		r.Status = k.failStatus()
		r.Reason = "no result yet"
		if !s.at.IsZero() {
			r.Reason = fmt.Sprintf("not passed yet (%d of %d failures)", s.fails, k.threshold)
		}
	}
	if r.Status == StatusPass {
		r.Reason = ""
	}
	return r
}
