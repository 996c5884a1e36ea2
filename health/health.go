package health

import (
	"context"
	"errors"
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

	mu        sync.Mutex // guards closed and listeners; serialises Add
	closed    bool
	listeners []*listener
	stop      chan struct{}
	wg        sync.WaitGroup

	checks   atomic.Pointer[[]*check] // replaced, never modified
	draining atomic.Bool

	// Changes are queued under the lock of the check that changed, so in
	// the order they happened, and delivered by one goroutine at a time,
	// so listeners see that order with no lock held.
	qmu        sync.Mutex
	queue      []Change
	delivering bool
}

// New returns a Checker with no checks.
func New(opts *Options) *Checker {
	c := &Checker{stop: make(chan struct{})}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.Timeout <= 0 {
		c.opts.Timeout = DefaultTimeout
	}
	if c.opts.CacheTTL <= 0 {
		c.opts.CacheTTL = DefaultCacheTTL
	}
	c.threshold = max(c.opts.FailureThreshold, 1)
	if c.opts.Logger == nil {
		c.opts.Logger = slog.Default()
	}
	c.metrics = newInstruments(c.opts.MeterProvider, c.opts.Logger)
	c.checks.Store(&[]*check{})
	return c
}

// errClosed is returned by Add after Close.
var errClosed = errors.New("checker closed")

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
		return fmt.Errorf("health: add check %q: %w", ch.Name, errClosed)
	}
	old := *c.checks.Load()
	for _, k := range old {
		if k.name == ch.Name {
			return fmt.Errorf("health: add check %q: name already registered", ch.Name)
		}
	}
	k := newCheck(c, ch)
	next := append(slices.Clip(old), k)
	c.checks.Store(&next)
	if k.interval > 0 {
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

// Change describes a check turning from one status to another; From is
// empty for its first status. Err is the error of the run that caused it,
// nil when To is StatusPass, and Time is when that run ended.
type Change struct {
	Check    string
	Critical bool
	From, To Status
	Err      error
	Time     time.Time
}

type listener struct{ fn func(Change) }

// Subscribe registers fn to be called with every status change of every
// check, one at a time and in the order they happened, and returns a
// function that unregisters it. fn must not block for long: other changes
// wait for it. A panic in fn is logged. Each change is also logged once.
func (c *Checker) Subscribe(fn func(Change)) (unsubscribe func()) {
	if fn == nil {
		return func() {}
	}
	l := &listener{fn: fn}
	c.mu.Lock()
	c.listeners = append(c.listeners, l)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		c.listeners = slices.DeleteFunc(c.listeners, func(x *listener) bool { return x == l })
		c.mu.Unlock()
	}
}

// enqueue queues a change; the caller holds the lock of the check.
func (c *Checker) enqueue(ch Change) {
	c.qmu.Lock()
	c.queue = append(c.queue, ch)
	c.qmu.Unlock()
}

// deliver logs the queued changes and passes them to the listeners,
// unless another goroutine is doing so: it picks up the new changes.
func (c *Checker) deliver() {
	c.qmu.Lock()
	if c.delivering {
		c.qmu.Unlock()
		return
	}
	c.delivering = true
	for len(c.queue) > 0 {
		batch := c.queue
		c.queue = nil
		c.qmu.Unlock()
		for _, ch := range batch {
			c.logChange(ch)
			c.mu.Lock()
			ls := slices.Clone(c.listeners)
			c.mu.Unlock()
			for _, l := range ls {
				c.notify(l, ch)
			}
		}
		c.qmu.Lock()
	}
	c.delivering = false
	c.qmu.Unlock()
}

func (c *Checker) notify(l *listener, ch Change) {
	defer func() {
		if v := recover(); v != nil {
			c.opts.Logger.ErrorContext(context.Background(), "health: status change listener panicked",
				"check", ch.Check, "panic", fmt.Sprint(v))
		}
	}()
	l.fn(ch)
}

func (c *Checker) logChange(ch Change) {
	from := string(ch.From)
	if from == "" {
		from = "none"
	}
	level, msg := slog.LevelError, "health: critical check failing"
	switch ch.To {
	case StatusPass:
		level, msg = slog.LevelInfo, "health: check passing"
	case StatusWarn:
		level, msg = slog.LevelWarn, "health: non-critical check failing"
	}
	attrs := []slog.Attr{slog.String("check", ch.Check), slog.String("from", from)}
	if ch.Err != nil {
		attrs = append(attrs, slog.Any("error", ch.Err))
	}
	c.opts.Logger.LogAttrs(context.Background(), level, msg, attrs...)
}
