package health

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Check describes one health check. Name and Func are required; every
// other field has a default. A Check is a plain value: Add copies it.
type Check struct {
	// Name identifies the check in responses, logs and metrics, and in
	// the URL /<probe>/<Name>. It must be 1 to 128 ASCII letters,
	// digits, '.', '_' or '-', and not one of livez, readyz, healthz and
	// startupz.
	Name string

	// Func reports the health of one thing by returning nil or an error.
	// It gets a context that ends after Timeout and should return
	// promptly when it does; if it does not, the check is reported as
	// timed out anyway and the run is left to finish on its own. A
	// panic in Func is recovered and reported as a failure.
	Func func(ctx context.Context) error

	// Timeout bounds one run. Zero means Options.Timeout. Keep it below
	// the orchestrator's probe timeout (timeoutSeconds in Kubernetes), so
	// the probe gets this package's answer rather than its own timeout.
	Timeout time.Duration

	// Critical makes the probe fail (503) while this check fails. A
	// failing check that is not critical only turns the probe's status
	// to warn, still served as 200. Checks are not critical unless
	// marked: set it for every dependency the process cannot serve
	// without.
	Critical bool

	// Probes lists the probes the check belongs to, such as
	// Liveness|Readiness. Zero means Readiness.
	Probes Probe

	// Interval, if positive, runs the check in the background every
	// Interval from the moment it is added until Checker.Close, and
	// probes only read its latest result. Zero means the check runs
	// when a probe finds its cached result older than Options.CacheTTL.
	Interval time.Duration

	// FailureThreshold is the number of consecutive failures after
	// which a passing check turns red. Zero means
	// Options.FailureThreshold.
	FailureThreshold int
}

const maxNameLen = 128

// reasonCheckFailed is all a caller without details learns of an error
// returned by a check or a panic in one.
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
	if _, ok := endpointByName(ch.Name); ok {
		return errors.New("name is reserved for a probe endpoint")
	}
	if ch.Func == nil {
		return errors.New("nil Func")
	}
	if ch.Timeout < 0 {
		return fmt.Errorf("negative Timeout %v", ch.Timeout)
	}
	if ch.Interval < 0 {
		return fmt.Errorf("negative Interval %v", ch.Interval)
	}
	if ch.FailureThreshold < 0 {
		return fmt.Errorf("negative FailureThreshold %d", ch.FailureThreshold)
	}
	if ch.Probes&^allProbes != 0 {
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

	// freshUntil is the monotonic offset (Checker.mono) until which the
	// last result may be served without running the check again.
	freshUntil atomic.Int64
	// everPassed is set by the first passing result and never cleared;
	// the startup probe needs nothing else.
	everPassed atomic.Bool

	mu sync.Mutex
	// flight is the run whose result is awaited, nil when none is.
	flight *flight
	// running is true while a goroutine is inside Func, which can
	// outlive its flight when Func ignores its context. No second run
	// starts while it is true: that is what bounds goroutines by the
	// number of checks.
	running bool
	state   state
}

// state is the last recorded result of a check and what it means.
type state struct {
	has    bool          // a run has ended at least once
	status Status        // "" while pending, else pass, warn or fail
	err    error         // last run's error, nil if it passed
	reason string        // what a caller may see of err
	dur    time.Duration // last run's duration
	at     time.Time     // when the last run ended
	fails  int           // consecutive failures
}

// flight is one awaited run. done is closed once its result is
// recorded, either by the run itself or by its timeout.
type flight struct {
	done    chan struct{}
	settled bool // guarded by check.mu
	timer   *time.Timer
}

// outcome is what one run produced.
type outcome struct {
	err    error
	reason string // shown to callers who may not see err; "" means "check failed"
	dur    time.Duration
	// skipped marks a failure recorded without running Func, which has
	// no duration to measure.
	skipped bool
}

func newCheck(c *Checker, ch Check) *check {
	k := &check{
		c:         c,
		name:      ch.Name,
		fn:        ch.Func,
		timeout:   ch.Timeout,
		critical:  ch.Critical,
		probes:    ch.Probes,
		interval:  ch.Interval,
		threshold: ch.FailureThreshold,
		attrs: metric.WithAttributeSet(attribute.NewSet(
			attribute.String("health.check.name", ch.Name),
			attribute.Bool("health.check.critical", ch.Critical),
		)),
	}
	if k.timeout == 0 {
		k.timeout = c.timeout
	}
	if k.probes == 0 {
		k.probes = Readiness
	}
	if k.threshold == 0 {
		k.threshold = c.threshold
	}
	return k
}

// needsRun reports, without locking, whether a probe must refresh the
// check before answering.
func (k *check) needsRun(p Probe, now int64) bool {
	if k.interval > 0 {
		return false
	}
	if p == Startup && k.everPassed.Load() {
		return false
	}
	return now >= k.freshUntil.Load()
}

// refresh makes sure a result newer than the cache TTL exists or is on
// its way, and returns the flight to wait for, or nil if the result is
// already recorded. force skips the freshness check (background runs).
func (k *check) refresh(force bool) *flight {
	now := k.c.now()
	k.mu.Lock()
	if !force && k.c.mono(now) < k.freshUntil.Load() {
		k.mu.Unlock()
		return nil
	}
	if f := k.flight; f != nil {
		k.mu.Unlock()
		return f
	}
	if k.running {
		// The last run timed out and its goroutine is still inside Func.
		// Starting another could pile up goroutines behind a hung
		// dependency, so this attempt fails without running.
		k.recordLocked(outcome{
			err:     fmt.Errorf("previous run still running after its %v timeout: %w", k.timeout, context.DeadlineExceeded),
			reason:  fmt.Sprintf("previous run still running after its %v timeout", k.timeout),
			skipped: true,
		}, now)
		k.mu.Unlock()
		k.c.deliver()
		return nil
	}
	f := &flight{done: make(chan struct{})}
	k.flight = f
	k.running = true
	ctx, cancel := context.WithTimeout(context.Background(), k.timeout)
	// The timer, not the run, guarantees an answer by the deadline: a
	// Func that ignores ctx cannot hold waiters past it.
	f.timer = time.AfterFunc(k.timeout, func() {
		k.settle(f, outcome{
			err:    fmt.Errorf("timed out after %v: %w", k.timeout, context.DeadlineExceeded),
			reason: fmt.Sprintf("timed out after %v", k.timeout),
			dur:    k.timeout,
		}, false)
	})
	k.mu.Unlock()
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
		if !returned {
			// recover is called directly by this deferred function, as it
			// must be to stop a panic.
			if v := recover(); v != nil {
				stack := debug.Stack()
				k.c.logger.ErrorContext(ctx, "health: check panicked",
					"check", k.name, "panic", fmt.Sprint(v), "stack", string(stack))
				o.err = &panicError{value: v}
			} else {
				o.err = errors.New("check called runtime.Goexit")
			}
		} else if err != nil {
			o.err = err
			if ctx.Err() != nil {
				o.err = fmt.Errorf("timed out after %v: %w", k.timeout, err)
				o.reason = fmt.Sprintf("timed out after %v", k.timeout)
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

// panicError is the failure recorded for a panicking check.
type panicError struct{ value any }

// Error implements error.
func (e *panicError) Error() string { return fmt.Sprintf("check panicked: %v", e.value) }

// settle records o as the result of f unless f already has one. fromRun
// says the caller is the run's goroutine, which is leaving Func.
func (k *check) settle(f *flight, o outcome, fromRun bool) {
	now := k.c.now()
	k.mu.Lock()
	if fromRun {
		k.running = false
	}
	if f.settled {
		k.mu.Unlock()
		if fromRun {
			k.c.logger.DebugContext(context.Background(), "health: check returned after its timeout",
				"check", k.name, "duration", o.dur, "error", o.err)
		}
		return
	}
	f.settled = true
	k.flight = nil
	k.recordLocked(o, now)
	k.mu.Unlock()
	// Waiters read the new generation, so it is bumped (in recordLocked)
	// before they are released.
	close(f.done)
	k.c.deliver()
}

// recordLocked stores a result, works out the check's status and queues
// a change if it moved. The caller holds k.mu and calls deliver after
// unlocking.
func (k *check) recordLocked(o outcome, now time.Time) {
	s := &k.state
	prev := s.status
	s.has = true
	s.err = o.err
	s.dur = o.dur
	s.at = now
	s.reason = ""
	if o.err == nil {
		s.fails = 0
		s.status = StatusPass
		k.everPassed.Store(true)
	} else {
		s.reason = o.reason
		if s.reason == "" {
			s.reason = reasonCheckFailed
		}
		s.fails++
		if s.fails >= k.threshold {
			s.status = k.failStatus()
		}
		// Below the threshold the status stays as it was: pass after a
		// pass, pending before the first.
	}
	if k.c.ttl > 0 {
		k.freshUntil.Store(k.c.mono(now) + int64(k.c.ttl))
	}
	k.c.gen.Add(1)
	k.c.metrics.record(k, o, s.status)
	if s.status != prev {
		ch := Change{Check: k.name, Critical: k.critical, From: prev, To: s.status, Time: now}
		if s.status != StatusPass {
			ch.Err = o.err
		}
		k.c.enqueue(ch)
	} else if o.err != nil {
		k.c.logger.DebugContext(context.Background(), "health: check failed",
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
func (k *check) loop(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	t := time.NewTicker(k.interval)
	defer t.Stop()
	for {
		k.refresh(true)
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

// snapshot returns the state as a probe reports it.
func (k *check) snapshot(p Probe) CheckResult {
	k.mu.Lock()
	s := k.state
	k.mu.Unlock()
	r := CheckResult{
		Name:                k.name,
		Critical:            k.critical,
		Err:                 s.err,
		Duration:            s.dur,
		Time:                s.at,
		ConsecutiveFailures: s.fails,
		Reason:              s.reason,
	}
	switch {
	case p == Startup && k.everPassed.Load():
		r.Status = StatusPass
	case s.status == StatusPass:
		r.Status = StatusPass
	case s.status != "":
		r.Status = s.status
	case p == Liveness:
		// Pending: a process is not restarted for a check that has not
		// reported yet.
		r.Status = StatusPass
	default:
		// Pending: not ready, not started, until proven.
		r.Status = k.failStatus()
		if !s.has {
			r.Reason = "no result yet"
		} else {
			r.Reason = fmt.Sprintf("not passed yet (%d of %d failures)", s.fails, k.threshold)
		}
	}
	if r.Status == StatusPass {
		r.Reason = ""
	}
	return r
}
