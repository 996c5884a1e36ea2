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
	// DefaultTimeout bounds one run of a check. It matches the default
	// Kubernetes probe timeout (timeoutSeconds: 1), so a probe gets an
	// answer before the kubelet gives up on it.
	DefaultTimeout = time.Second
	// DefaultCacheTTL is how long a result is served before a probe runs
	// the check again.
	DefaultCacheTTL = time.Second
)

// Options configures a Checker. A zero field means its default, and a nil
// *Options means a zero Options: a 1 s timeout per check, results cached
// for 1 s, a check turning red on its first failure, error details hidden
// from every response, logs to slog.Default() and metrics to
// otel.GetMeterProvider().
type Options struct {
	// Timeout bounds each run of a check whose own Timeout is zero.
	// Zero or negative means DefaultTimeout.
	Timeout time.Duration

	// CacheTTL is how long a check's result, failures included, is
	// served before a probe runs the check again, so a dependency is
	// asked about once per CacheTTL however many probes arrive. Zero or
	// negative means DefaultCacheTTL.
	CacheTTL time.Duration

	// FailureThreshold is the number of consecutive failures after which
	// a passing check turns red, for checks whose own FailureThreshold is
	// zero. Zero or negative means 1.
	FailureThreshold int

	// ShowDetails reports whether a request may see the error text of
	// failing checks. When it is nil or returns false, a response says
	// only "check failed" (or the package's own reason, such as a
	// timeout); the full error is always logged. Use it to show details
	// to an authenticated operator or to loopback callers.
	ShowDetails func(*http.Request) bool

	// Logger receives status changes, panics and shutdown progress. Nil
	// means slog.Default().
	Logger *slog.Logger

	// MeterProvider supplies the meter for the health.check.status gauge
	// and the health.check.duration histogram. Nil means
	// otel.GetMeterProvider(), which records nothing until an
	// OpenTelemetry SDK is installed.
	MeterProvider metric.MeterProvider

	// ServiceID, Description, Version and ReleaseID are copied into every
	// JSON response as serviceId, description, version and releaseId.
	// Empty fields are left out.
	ServiceID   string
	Description string
	Version     string
	ReleaseID   string
}

// Checker runs health checks and serves their results. Create one with
// New, register checks with Add and mount Handler. The zero Checker is
// not usable. All methods are safe for concurrent use.
//
// A Checker starts goroutines only for the runs of checks and for the
// background loops of checks with an Interval; Close stops the loops.
type Checker struct {
	opts      Options // defaults filled in
	threshold int
	metrics   instruments

	mu        sync.Mutex // guards closed and listeners; serialises Add
	closed    bool
	listeners []*listener
	stop      chan struct{}
	wg        sync.WaitGroup

	// checks is replaced, never modified, so probes read it without a lock.
	checks   atomic.Pointer[[]*check]
	draining atomic.Bool

	// Changes are queued under the lock of the check that changed, so the
	// queue holds them in the order they happened, and delivered by one
	// goroutine at a time, so listeners see that order with no lock held.
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

// Add registers a check. It returns an error, and registers nothing, if
// the name is invalid or taken, Func is nil, a duration or threshold is
// negative, Probes names an unknown probe, or the Checker is closed.
//
// A check with an Interval starts running in the background at once.
// Checks may be added while the handler is serving.
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
// for their loops to return; a run in progress ends by its timeout. After
// Close, Add returns an error and the handler keeps serving: checks
// without an Interval still run on demand. Close is idempotent.
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
// are, so the process is not restarted while it finishes its work. Serve
// calls it when its context ends. Drain is idempotent and cannot be
// undone.
func (c *Checker) Drain() {
	if c.draining.CompareAndSwap(false, true) {
		c.opts.Logger.LogAttrs(context.Background(), slog.LevelInfo, "health: draining, readiness now fails")
	}
}

// Draining reports whether Drain has been called.
func (c *Checker) Draining() bool { return c.draining.Load() }

// Change describes a check turning from one status to another. A
// non-critical check that fails is reported as StatusWarn, a critical one
// as StatusFail. From is empty for a check's first status.
type Change struct {
	Check    string
	Critical bool
	From, To Status
	// Err is the error of the run that caused the change; nil when To is
	// StatusPass.
	Err error
	// Time is when the run that caused the change ended.
	Time time.Time
}

type listener struct{ fn func(Change) }

// Subscribe registers fn to be called with every status change of every
// check, in the order the changes happened, and returns a function that
// unregisters it. fn is called one change at a time, from the goroutine
// that recorded the change; it must not block for long, since other
// changes wait for it. A panic in fn is logged and otherwise ignored.
// Each change is also logged once, whether or not anyone subscribes.
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

// enqueue records a change; the caller holds the lock of the check that
// changed, which orders the changes of one check.
func (c *Checker) enqueue(ch Change) {
	c.qmu.Lock()
	c.queue = append(c.queue, ch)
	c.qmu.Unlock()
}

// deliver logs the queued changes and passes them to the listeners. If
// another goroutine is delivering, it picks up the new changes.
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
