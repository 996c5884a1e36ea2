package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.opentelemetry.io/otel/metric"
)

// Defaults of the zero Policy.
const (
	DefaultMaxAttempts   = 4
	DefaultInitialDelay  = 100 * time.Millisecond
	DefaultMaxDelay      = 10 * time.Second
	DefaultMultiplier    = 2.0
	DefaultMaxRetryAfter = time.Minute
)

// Policy says how to retry: how many attempts, how long to wait between
// them, which errors are worth another try, and where to report retries.
//
// The zero Policy is a sane production default: at most 4 attempts, the
// delays before retries drawn with full jitter from exponentially growing
// ceilings of 100ms, 200ms, 400ms … capped at 10s, server delay hints
// honoured up to a minute, no time limit other than the context's, retries
// logged through slog.Default() and counted through the global OpenTelemetry
// meter provider. Each zero field means its default.
//
// A Policy is a plain value: copy it, keep it in a package variable, share
// it between goroutines. Do never modifies it, and each call makes its own
// schedule, so concurrent calls never share state other than a Budget.
type Policy struct {
	// MaxAttempts is the most times the operation runs, the first attempt
	// included: 1 means no retries, 0 means DefaultMaxAttempts, and a
	// negative value means no limit (the context, the classification, the
	// budget or the schedule must end the loop; pair it with a deadline).
	MaxAttempts int

	// InitialDelay, MaxDelay and Multiplier shape the default schedule: the
	// ceiling of the n-th delay is InitialDelay × Multiplierⁿ⁻¹, capped at
	// MaxDelay, and the delay is drawn uniformly from [0, ceiling]. Zero
	// means the default (100ms, 10s, 2); a MaxDelay below 100ms also lowers
	// the default InitialDelay to it. Multiplier must be finite and at
	// least 1, and InitialDelay must not exceed MaxDelay when both are set.
	InitialDelay time.Duration
	MaxDelay     time.Duration
	Multiplier   float64

	// Schedule, if set, makes the schedule for one call of Do, replacing the
	// default one: for example a backoff.ConstantBackOff, or a
	// backoff.ExponentialBackOff with other parameters. InitialDelay,
	// MaxDelay and Multiplier are then unused, and Validate does not check
	// them. Schedule is called once per call of Do, after the first
	// failure, and must return a fresh BackOff each time; a nil BackOff
	// means the zero Policy's default schedule. A BackOff that returns
	// backoff.Stop ends the loop with ReasonExhausted.
	Schedule func() backoff.BackOff

	// MaxRetryAfter bounds the delay an error can ask for through a
	// RetryAfter() time.Duration method (as *result.Error and the HTTP
	// Retry-After header do); zero means DefaultMaxRetryAfter. A longer
	// request is shortened to MaxRetryAfter.
	MaxRetryAfter time.Duration

	// AttemptTimeout, if positive, limits each attempt: the operation gets
	// a child context that ends after AttemptTimeout, and an attempt that
	// ran out of it is retried. The child context is cancelled when the
	// operation returns, so the operation must finish its work with it (read
	// a response body inside the operation). Zero means no per-attempt
	// limit.
	AttemptTimeout time.Duration

	// Classify, if set, overrides the default classification of a failed
	// attempt's error. Returning DecisionDefault leaves the error to the
	// default rules (see Do). An error marked with Permanent stops whatever
	// Classify says.
	Classify func(err error) Decision

	// Budget, if set, limits retries across every call that shares it. First
	// attempts always run; a retry the budget refuses ends the loop with
	// ReasonBudget.
	Budget *Budget

	// OnRetry, if set, is called before each wait with the failed attempt
	// and the delay chosen, on the goroutine that called Do.
	OnRetry func(ctx context.Context, a Attempt)

	// Logger receives a warning for each retry, with the context (so
	// correlation and trace IDs follow), the attempt number, the delay, the
	// time elapsed and the error; nil means slog.Default(). To silence it,
	// use slog.New(slog.DiscardHandler).
	Logger *slog.Logger

	// MeterProvider provides the retry.attempts counter (see
	// MetricAttempts); nil means the global provider (otel.GetMeterProvider),
	// a no-op until an SDK is installed.
	MeterProvider metric.MeterProvider

	// Clock provides the time and the timers for the waits; nil means the
	// system clock.
	Clock Clock
}

// Attempt describes a failed attempt that is about to be retried, for a
// Policy's OnRetry hook.
type Attempt struct {
	// Number is the attempt that failed, counting from 1.
	Number int
	// Err is its error.
	Err error
	// Delay is how long the loop waits before the next attempt.
	Delay time.Duration
	// Elapsed is the time since the first attempt failed.
	Elapsed time.Duration
}

// Validate reports whether p's fields are usable, with an error that names
// the field. Do, DoValue and Transport return the same error instead of
// running the operation; Validate lets a program check its policies at
// start-up.
func (p Policy) Validate() error { return p.validate() }

func (p *Policy) validate() error {
	// One cheap test for the common case, so that every call can afford it.
	if p.InitialDelay >= 0 && p.MaxDelay >= 0 && p.MaxRetryAfter >= 0 && p.AttemptTimeout >= 0 &&
		(p.Multiplier == 0 || (p.Multiplier >= 1 && p.Multiplier <= math.MaxFloat64)) &&
		(p.InitialDelay == 0 || p.MaxDelay == 0 || p.InitialDelay <= p.MaxDelay) {
		return nil
	}
	// With a Schedule, the fields of the default schedule are unused.
	shape := p.Schedule == nil
	for _, f := range [...]struct {
		name string
		d    time.Duration
		used bool
	}{
		{"InitialDelay", p.InitialDelay, shape},
		{"MaxDelay", p.MaxDelay, shape},
		{"MaxRetryAfter", p.MaxRetryAfter, true},
		{"AttemptTimeout", p.AttemptTimeout, true},
	} {
		if f.used && f.d < 0 {
			return fmt.Errorf("retry: invalid Policy: %s is negative (%v)", f.name, f.d)
		}
	}
	switch {
	case !shape || p.Multiplier == 0:
	case math.IsNaN(p.Multiplier):
		return errors.New("retry: invalid Policy: Multiplier is not a number (NaN)")
	case p.Multiplier < 1:
		return fmt.Errorf("retry: invalid Policy: Multiplier %v is below 1", p.Multiplier)
	case math.IsInf(p.Multiplier, 1):
		return errors.New("retry: invalid Policy: Multiplier is infinite; it must be finite")
	}
	if shape && p.InitialDelay != 0 && p.MaxDelay != 0 && p.InitialDelay > p.MaxDelay {
		return fmt.Errorf("retry: invalid Policy: InitialDelay %v is above MaxDelay %v", p.InitialDelay, p.MaxDelay)
	}
	return nil
}

// maxAttempts returns the attempt limit, 0 meaning none.
func (p *Policy) maxAttempts() int {
	switch {
	case p.MaxAttempts == 0:
		return DefaultMaxAttempts
	case p.MaxAttempts < 0:
		return 0
	}
	return p.MaxAttempts
}

func (p *Policy) maxRetryAfter() time.Duration {
	if p.MaxRetryAfter == 0 {
		return DefaultMaxRetryAfter
	}
	return p.MaxRetryAfter
}

// newSchedule returns a fresh schedule for one call.
func (p *Policy) newSchedule() backoff.BackOff {
	if p.Schedule != nil {
		if b := p.Schedule(); b != nil {
			b.Reset()
			return b
		}
		// The shape fields are unused (and unvalidated) with a Schedule.
		return newFullJitter(DefaultInitialDelay, DefaultMaxDelay, DefaultMultiplier)
	}
	maxDelay := p.MaxDelay
	if maxDelay == 0 {
		maxDelay = max(DefaultMaxDelay, p.InitialDelay)
	}
	initial := p.InitialDelay
	if initial == 0 {
		initial = min(DefaultInitialDelay, maxDelay)
	}
	mult := p.Multiplier
	if mult == 0 {
		mult = DefaultMultiplier
	}
	return newFullJitter(initial, maxDelay, mult)
}

// Do runs op until it succeeds or p says to give up, and returns nil or a
// *Error saying why it gave up (or an error for an invalid Policy).
//
// The context is checked before the first attempt, and op receives it (or,
// with AttemptTimeout, a child of it). Between attempts Do waits for the
// schedule's delay, returning at once when ctx ends; a delay that would end
// past ctx's deadline is not started.
//
// Each failed attempt is classified by the first of these rules that
// matches:
//
//   - the caller's context has ended: stop (ReasonContext);
//   - the error is marked with Permanent: stop (ReasonPermanent);
//   - p.Classify returns DecisionStop (ReasonPermanent) or DecisionRetry;
//   - the attempt ran out of p.AttemptTimeout: retry;
//   - the first error in its chain with a Retryable() bool method decides:
//     for *result.Error, VALIDATION, NOT_FOUND, INTERNAL … stop
//     (ReasonPermanent) and UNAVAILABLE, TIMEOUT, RATE_LIMITED and
//     UPSTREAM_FAILURE retry (the last unless its upstream status is one
//     Transport would not retry);
//   - context.Canceled from within op stops (ReasonPermanent);
//     context.DeadlineExceeded from within op (an inner timeout) retries;
//   - anything else (a dial error, an unexpected EOF) retries.
//
// An error with a RetryAfter() time.Duration method that returns a positive
// delay sets the next delay, bounded by p.MaxRetryAfter; a delay that does
// not fit before ctx's deadline gives up at once. A retry also needs
// p.MaxAttempts and then p.Budget to allow it; the budget is asked last, so
// a retry that would not happen anyway spends nothing.
//
// When the first attempt succeeds, Do allocates nothing and reads no clock
// (unless p.AttemptTimeout is set, which needs a child context).
func Do(ctx context.Context, p Policy, op func(context.Context) error) error {
	_, err := run(ctx, &p, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, op(ctx)
	}, nil)
	return err
}

// DoValue is Do for an operation that returns a value. It returns the value
// of the attempt that succeeded, or, with the *Error, whatever the last
// attempt returned alongside its error (usually the zero value), including
// when the context ends during the wait that follows that attempt.
func DoValue[T any](ctx context.Context, p Policy, op func(context.Context) (T, error)) (T, error) {
	return run(ctx, &p, op, nil)
}

// hooks adapt the loop for Transport.
type hooks[T any] struct {
	// discard releases a failed attempt's value before the wait for the
	// next attempt (Transport drains and closes the response); if the wait
	// ends the loop, the zero value is returned in its place.
	discard func(T)
}

// run is the retry loop. Its first attempt is kept short and free of
// allocations; everything a failure needs lives in retryAfterFailure.
func run[T any](ctx context.Context, p *Policy, op func(context.Context) (T, error), h *hooks[T]) (T, error) {
	if ctx.Err() != nil {
		var zero T
		return zero, &Error{Reason: ReasonContext, ctxErr: contextErrors(ctx)}
	}
	if err := p.validate(); err != nil {
		var zero T
		return zero, err
	}
	if p.Budget != nil {
		p.Budget.recordFirst()
	}
	v, err, timedOut := attempt(ctx, p, op, h)
	in := instrumentsFor(p.MeterProvider)
	if err == nil {
		in.record(ctx, outcomeSuccess)
		return v, nil
	}
	return retryAfterFailure(ctx, p, op, h, in, v, err, timedOut)
}

// attempt runs op once, under AttemptTimeout if there is one, and reports
// whether the attempt ran out of its own time while ctx is still live.
func attempt[T any](ctx context.Context, p *Policy, op func(context.Context) (T, error), h *hooks[T]) (T, error, bool) {
	if p.AttemptTimeout <= 0 {
		v, err := op(ctx)
		return v, err, false
	}
	return attemptWithTimeout(ctx, p.AttemptTimeout, op)
}

func attemptWithTimeout[T any](ctx context.Context, timeout time.Duration, op func(context.Context) (T, error)) (T, error, bool) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := op(actx)
	timedOut := err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
	return v, err, timedOut
}

// retryAfterFailure continues the loop after the first attempt failed with
// err, having returned v.
func retryAfterFailure[T any](ctx context.Context, p *Policy, op func(context.Context) (T, error), h *hooks[T],
	in *instruments, v T, err error, timedOut bool) (T, error) {
	clock := clockOr(p.Clock)
	start := clock.Now()
	maxAttempts := p.maxAttempts()
	maxHint := p.maxRetryAfter()
	var sched backoff.BackOff

	// giveUp ends the loop after attempt n, counting it by the reason.
	waited := false
	giveUp := func(n int, reason Reason, ctxErr []error, skipped time.Duration) (T, error) {
		in.record(ctx, outcomeOf(reason))
		var elapsed time.Duration
		if waited {
			elapsed = clock.Now().Sub(start)
		}
		return v, &Error{
			Reason:   reason,
			Attempts: n,
			Elapsed:  elapsed,
			Last:     err,
			ctxErr:   ctxErr,
			skipped:  skipped,
		}
	}

	for n := 1; ; n++ {
		// Attempt n failed with err.
		if ctx.Err() != nil {
			return giveUp(n, ReasonContext, contextErrors(ctx), 0)
		}
		if !classify(p, err, timedOut) {
			return giveUp(n, ReasonPermanent, nil, 0)
		}
		if maxAttempts > 0 && n >= maxAttempts {
			return giveUp(n, ReasonExhausted, nil, 0)
		}
		if sched == nil {
			sched = p.newSchedule()
		}
		delay := sched.NextBackOff()
		if delay < 0 { // backoff.Stop
			return giveUp(n, ReasonExhausted, nil, 0)
		}
		if d := hint(err, maxHint); d > 0 {
			delay = d
		}
		now := clock.Now()
		if deadline, ok := ctx.Deadline(); ok && !now.Add(delay).Before(deadline) {
			// Waiting would only end in the deadline: give up now, while
			// the caller still has time to use the answer.
			return giveUp(n, ReasonContext, []error{context.DeadlineExceeded}, max(delay, 1))
		}
		if p.Budget != nil && !p.Budget.allowRetry() {
			return giveUp(n, ReasonBudget, nil, 0)
		}

		if h != nil && h.discard != nil {
			// The released value must not be returned if the wait ends
			// the loop; otherwise v stays the last attempt's.
			h.discard(v)
			var zero T
			v = zero
		}
		observeRetry(ctx, p, Attempt{Number: n, Err: err, Delay: delay, Elapsed: now.Sub(start)}, maxAttempts)

		waited = true
		if !sleep(ctx, clock, delay) {
			return giveUp(n, ReasonContext, contextErrors(ctx), 0)
		}
		// Attempt n is a retry only once another attempt follows it.
		in.record(ctx, outcomeRetry)
		v, err, timedOut = attempt(ctx, p, op, h)
		if err == nil {
			in.record(ctx, outcomeSuccess)
			return v, nil
		}
	}
}

// sleep waits for d on clock, reporting false if ctx ends first. The timer
// is stopped either way.
func sleep(ctx context.Context, clock Clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return ctx.Err() == nil
	}
}
