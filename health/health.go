package health

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// Defaults used where Options or a Check leave a field zero.
const (
	// DefaultTimeout bounds one run of a check. It is the default
	// Kubernetes probe timeout (timeoutSeconds: 1).
	DefaultTimeout = time.Second
	// DefaultCacheTTL is how long a result is served before a probe runs
	// the check again.
	DefaultCacheTTL = time.Second
)

// Options configures a Checker. A zero field means its default, and a nil
// *Options means a zero Options.
type Options struct {
	// Timeout bounds each run of a check whose own Timeout is zero.
	// Zero or negative means DefaultTimeout.
	Timeout time.Duration

	// CacheTTL is how long a check's result, failures included, is
	// served before a probe runs the check again. Zero or negative means
	// DefaultCacheTTL.
	CacheTTL time.Duration

	// FailureThreshold is the number of consecutive failures after which
	// a passing check turns red, for checks whose own FailureThreshold is
	// zero. Zero or negative means 1.
	FailureThreshold int

	// ShowDetails reports whether a request may see the error text of
	// failing checks, such as an authenticated operator's. When it is nil
	// or returns false, a response says only "check failed" (or the
	// package's own reason, such as a timeout); the error is logged.
	ShowDetails func(*http.Request) bool

	// Logger receives status changes, panics and shutdown progress. Nil
	// means slog.Default().
	Logger *slog.Logger

	// MeterProvider supplies the meter for the health.check.status gauge
	// (1 passing, 0 not) and the health.check.duration histogram
	// (seconds). Nil means otel.GetMeterProvider(), which records nothing
	// until an OpenTelemetry SDK is installed.
	MeterProvider metric.MeterProvider

	// ServiceID, Description, Version and ReleaseID are copied into every
	// JSON response as serviceId, description, version and releaseId.
	ServiceID   string
	Description string
	Version     string
	ReleaseID   string
}

// Checker runs health checks and serves their results. Create one with
// New, register checks with Add and mount Handler. The zero Checker is
// not usable. All methods are safe for concurrent use.
type Checker struct {
	opts      Options // defaults filled in
	threshold int
	metrics   instruments

	mu     sync.Mutex // guards closed; serialises Add
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup

	checks   atomic.Pointer[[]*check] // replaced, never modified
	draining atomic.Bool
}

// New returns a Checker with no checks.
func New(opts *Options) *Checker {
	c := &Checker{stop: make(chan struct{})}
	if opts != nil {
		c.opts = *opts
	}
	// Negative values count as zero: the default.
	c.opts.Timeout = cmp.Or(max(c.opts.Timeout, 0), DefaultTimeout)
	c.opts.CacheTTL = cmp.Or(max(c.opts.CacheTTL, 0), DefaultCacheTTL)
	c.threshold = max(c.opts.FailureThreshold, 1)
	c.opts.Logger = cmp.Or(c.opts.Logger, slog.Default())
	c.metrics = newInstruments(c.opts.MeterProvider, c.opts.Logger)
	c.checks.Store(&[]*check{})
	return c
}

// Add registers a check, which may be done while the handler serves. It
// returns an error, and registers nothing, if the check is not valid, its
// name is taken or the Checker is closed.
func (c *Checker) Add(ch Check) error {
	if err := ch.validate(); err != nil {
		return fmt.Errorf("health: add check %q: %w", ch.Name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("health: add check %q: checker closed", ch.Name)
	}
	old := *c.checks.Load()
	for _, k := range old {
		if k.Name == ch.Name {
			return fmt.Errorf("health: add check %q: name already registered", ch.Name)
		}
	}
	k := newCheck(c, ch)
	next := append(slices.Clip(old), k)
	c.checks.Store(&next)
	if k.Interval > 0 {
		c.wg.Go(func() { k.loop(c.stop) })
	}
	return nil
}

// Close stops the background runs of checks with an Interval and waits
// for their loops to return. After Close, Add returns an error; the
// handler keeps serving. Close is idempotent.
func (c *Checker) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.stop)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// Drain makes readiness fail at once with "shutting down", so load
// balancers stop sending traffic, while liveness and startup stay as they
// are. Serve calls it when its context ends. It cannot be undone.
func (c *Checker) Drain() {
	if c.draining.CompareAndSwap(false, true) {
		c.opts.Logger.LogAttrs(context.Background(), slog.LevelInfo, "health: draining, readiness now fails")
	}
}

// Draining reports whether Drain has been called.
func (c *Checker) Draining() bool { return c.draining.Load() }
