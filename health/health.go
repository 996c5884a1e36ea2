package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
	// DefaultCacheTTL is how long a result is reused before a probe
	// runs the check again.
	DefaultCacheTTL = time.Second
)

// Options configures a Checker. A nil *Options or a zero Options gives
// production defaults: a 1 s timeout per check, results cached for 1 s,
// a check turning red on its first failure, error details hidden from
// every response, logs to slog.Default() and metrics to
// otel.GetMeterProvider().
type Options struct {
	// Timeout bounds each run of a check whose own Timeout is zero.
	// Zero means DefaultTimeout.
	Timeout time.Duration

	// CacheTTL is how long a check's result is served before a probe
	// runs the check again. Failures are cached too, so a hung
	// dependency is not asked again by every probe. Zero means
	// DefaultCacheTTL; a negative value turns caching off (concurrent
	// probes still share one run).
	CacheTTL time.Duration

	// FailureThreshold is the number of consecutive failures after
	// which a passing check turns red, for checks whose own
	// FailureThreshold is zero. Zero means 1.
	FailureThreshold int

	// ShowDetails reports whether a request may see the error text of
	// failing checks. When it is nil or returns false the response says
	// only "check failed" (or the package's own reasons, such as a
	// timeout); the full error is always logged. Use it to show details
	// to an authenticated operator or to loopback callers.
	ShowDetails func(*http.Request) bool

	// Logger receives status changes, panics and drain notices. Nil
	// means slog.Default().
	Logger *slog.Logger

	// MeterProvider supplies the meter for the health.check.status gauge
	// and the health.check.duration histogram. Nil means
	// otel.GetMeterProvider(), which records nothing until an
	// OpenTelemetry SDK is installed.
	MeterProvider metric.MeterProvider

	// ServiceID, Description, Version and ReleaseID are copied into
	// every JSON response as serviceId, description, version and
	// releaseId. Empty fields are left out.
	ServiceID   string
	Description string
	Version     string
	ReleaseID   string
}

// Checker runs health checks and serves their results. Create one with
// New, register checks with Add and mount Handler. A Checker must not
// be copied after first use; the zero Checker is not usable. All
// methods are safe for concurrent use.
//
// A Checker starts a goroutine only for a check with an Interval, and
// for the duration of each check run; Close stops the former.
type Checker struct {
	timeout     time.Duration
	ttl         time.Duration
	threshold   int
	showDetails func(*http.Request) bool
	logger      *slog.Logger
	metrics     instruments
	service     serviceInfo

	// now is the clock for result times and cache expiry; epoch anchors
	// the monotonic offsets stored in check.freshUntil.
	now   func() time.Time
	epoch time.Time
	// since returns the time elapsed since epoch: time.Since, which reads
	// only the monotonic clock (tests replace it with their clock).
	since func() time.Duration

	mu     sync.Mutex // serialises Add, Close and Subscribe
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup

	// checks is replaced, never modified, so readers need no lock.
	checks    atomic.Pointer[[]*check]
	listeners atomic.Pointer[[]*listener]

	// gen changes whenever anything a response shows changes: a result,
	// the set of checks, draining. Rendered bodies are cached against it.
	gen      atomic.Uint64
	draining atomic.Bool
	cache    [cacheSlots]atomic.Pointer[rendered]

	// Changes are queued under the check's lock, so the queue holds them
	// in the order they happened, and delivered by one goroutine at a
	// time, so listeners see that order without a lock held across them.
	qmu        sync.Mutex
	queue      []Change
	delivering bool
}

type serviceInfo struct {
	serviceID, description, version, releaseID string
}

// New returns a Checker with no checks. A nil opts means default
// Options.
func New(opts *Options) *Checker {
	if opts == nil {
		opts = &Options{}
	}
	c := &Checker{
		timeout:     opts.Timeout,
		ttl:         opts.CacheTTL,
		threshold:   opts.FailureThreshold,
		showDetails: opts.ShowDetails,
		logger:      opts.Logger,
		service: serviceInfo{
			serviceID:   opts.ServiceID,
			description: opts.Description,
			version:     opts.Version,
			releaseID:   opts.ReleaseID,
		},
		now:  time.Now,
		stop: make(chan struct{}),
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.ttl == 0 {
		c.ttl = DefaultCacheTTL
	}
	if c.threshold <= 0 {
		c.threshold = 1
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	c.epoch = c.now()
	c.since = func() time.Duration { return time.Since(c.epoch) }
	c.metrics = newInstruments(opts.MeterProvider, c.logger)
	c.checks.Store(&[]*check{})
	c.listeners.Store(&[]*listener{})
	return c
}

// errClosed is returned by Add after Close.
var errClosed = errors.New("checker closed")

// Add registers a check. It returns an error, and registers nothing, if
// the name is empty, too long, uses characters other than ASCII letters,
// digits, '.', '_' and '-', or is already taken; if Func is nil; if a
// duration or threshold is negative; if Probes names an unknown probe;
// or if the Checker is closed.
//
// A check with an Interval starts running in the background at once,
// until Close. Checks may be added while the handler is serving.
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
	next := make([]*check, len(old), len(old)+1)
	copy(next, old)
	next = append(next, k)
	c.checks.Store(&next)
	c.gen.Add(1)
	if k.interval > 0 {
		c.wg.Add(1)
		go k.loop(c.stop, &c.wg)
	}
	return nil
}

// Close stops the background runs of checks with an Interval and waits
// for their loops to return. A run already in progress is not
// interrupted; it ends by its timeout. After Close, Add returns an
// error; the handler keeps serving, running checks without an Interval
// on demand and showing the last results of the others. Close is
// idempotent.
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
// balancers stop sending traffic, while liveness and startup stay as
// they are, so the process is not restarted while it finishes its work.
// Call it when shutdown begins; Serve does. Drain is idempotent and
// cannot be undone.
func (c *Checker) Drain() {
	if c.draining.CompareAndSwap(false, true) {
		c.gen.Add(1)
		c.logger.LogAttrs(context.Background(), slog.LevelInfo, "health: draining, readiness now fails")
	}
}

// Draining reports whether Drain has been called.
func (c *Checker) Draining() bool { return c.draining.Load() }

// Change describes a check turning from one status to another. A
// non-critical check that fails is reported as StatusWarn, a critical
// one as StatusFail. From is empty for a check's first status.
type Change struct {
	Check    string
	Critical bool
	From, To Status
	// Err is the error of the run that caused the change; nil when To
	// is StatusPass.
	Err error
	// Time is when the run that caused the change ended.
	Time time.Time
}

type listener struct{ fn func(Change) }

// Subscribe registers fn to be called with every status change of every
// check, in the order the changes happened, and returns a function that
// unregisters it. fn is called from the goroutine that recorded the
// change, one call at a time; it must not block for long, since other
// changes wait for it. A panic in fn is logged and otherwise ignored.
// Each change is also logged once, whether or not anyone subscribes.
func (c *Checker) Subscribe(fn func(Change)) (unsubscribe func()) {
	if fn == nil {
		return func() {}
	}
	l := &listener{fn: fn}
	c.mu.Lock()
	old := *c.listeners.Load()
	next := make([]*listener, len(old), len(old)+1)
	copy(next, old)
	next = append(next, l)
	c.listeners.Store(&next)
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			old := *c.listeners.Load()
			next := make([]*listener, 0, len(old))
			for _, x := range old {
				if x != l {
					next = append(next, x)
				}
			}
			c.listeners.Store(&next)
		})
	}
}

// enqueue records a change; the caller holds the lock of the check that
// changed, which orders changes of one check.
func (c *Checker) enqueue(ch Change) {
	c.qmu.Lock()
	c.queue = append(c.queue, ch)
	c.qmu.Unlock()
}

// deliver logs queued changes and passes them to listeners. If another
// goroutine is already delivering, it will pick up the new changes.
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
			for _, l := range *c.listeners.Load() {
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
			c.logger.ErrorContext(context.Background(), "health: status change listener panicked",
				"check", ch.Check, "panic", fmt.Sprint(v))
		}
	}()
	l.fn(ch)
}

func (c *Checker) logChange(ch Change) {
	ctx := context.Background()
	from := string(ch.From)
	if from == "" {
		from = "none"
	}
	switch ch.To {
	case StatusPass:
		c.logger.InfoContext(ctx, "health: check passing",
			"check", ch.Check, "from", from)
	case StatusWarn:
		c.logger.WarnContext(ctx, "health: non-critical check failing",
			"check", ch.Check, "from", from, "error", ch.Err)
	default:
		c.logger.ErrorContext(ctx, "health: critical check failing",
			"check", ch.Check, "from", from, "error", ch.Err)
	}
}

// mono converts a clock reading into the monotonic offset stored in
// check.freshUntil. Sub uses the monotonic clock when both readings
// carry it, so a wall-clock step does not expire or extend the cache.
func (c *Checker) mono(t time.Time) int64 { return int64(t.Sub(c.epoch)) }

// monoNow returns the monotonic offset of the present. On the system clock
// it costs one monotonic clock read rather than the wall and monotonic reads
// of time.Now: it runs on every probe.
func (c *Checker) monoNow() int64 { return int64(c.since()) }
