package retry

import (
	"cmp"
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
// Each zero field means its default. A Policy is a plain value, safe to
// copy and share: concurrent calls share no state other than a Budget.
type Policy struct {
	// MaxAttempts is the most times the operation runs, the first attempt
	// included: 1 means no retries, 0 means DefaultMaxAttempts, and a
	// negative value means no limit (pair it with a context deadline).
	MaxAttempts int

	// InitialDelay, MaxDelay and Multiplier shape the default schedule: the
	// n-th delay is drawn uniformly below a ceiling ("full jitter"), where
	// the ceiling is InitialDelay × Multiplierⁿ⁻¹ capped at MaxDelay. Zero
	// means the default (100ms, 10s, 2); a MaxDelay below 100ms also lowers
	// the default InitialDelay to it. Multiplier must be finite and at least
	// 1, and InitialDelay must not exceed MaxDelay when both are set.
	InitialDelay time.Duration
	MaxDelay     time.Duration
	Multiplier   float64

	// Schedule, if set, replaces the default schedule (and leaves the three
	// fields above unused): it is called after the first failure of each
	// call and must return a fresh BackOff, or nil for the default. A
	// BackOff that returns backoff.Stop ends the loop with ReasonExhausted.
	Schedule func() backoff.BackOff

	// MaxRetryAfter bounds the delay an error asks for (see Do); zero means
	// DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration

	// AttemptTimeout, if positive, limits each attempt: the operation gets a
	// child context that ends after AttemptTimeout and is cancelled when the
	// operation returns, and an attempt that ran out of it is retried.
	AttemptTimeout time.Duration

	// Classify, if set, decides on a failed attempt's error before the
	// default rules (see Do); DecisionDefault leaves it to them.
	Classify func(err error) Decision

	// Budget, if set, limits retries across every call that shares it.
	Budget *Budget

	// OnRetry, if set, is called before each wait.
	OnRetry func(ctx context.Context, a Attempt)

	// Logger receives a warning for each retry, with the context, the
	// attempt number, the delay, the time elapsed and the error; nil means
	// slog.Default(). To silence it, use slog.New(slog.DiscardHandler).
	Logger *slog.Logger

	// MeterProvider provides the counter retry.attempts, which counts every
	// attempt with its retry.outcome: "success", "retry" (another attempt
	// follows) or the Reason the loop gave up after it. Nil means the
	// global provider, a no-op until the program installs an SDK (once, as
	// OpenTelemetry expects: the package makes its counter there once).
	MeterProvider metric.MeterProvider
}

// Attempt describes a failed attempt that is about to be retried, for a
// Policy's OnRetry hook.
type Attempt struct {
	Number  int           // the attempt that failed, counting from 1
	Err     error         // its error
	Delay   time.Duration // how long the loop waits before the next attempt
	Elapsed time.Duration // time since the first attempt started
}

// Validate reports whether p's fields are usable, with an error that names
// the field. Do, DoValue and Transport return the same error instead of
// running the operation; Validate lets a program check a policy at start-up.
func (p Policy) Validate() error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("retry: invalid Policy: "+format, args...)
	}
	switch {
	case p.MaxRetryAfter < 0:
		return invalid("MaxRetryAfter is negative (%v)", p.MaxRetryAfter)
	case p.AttemptTimeout < 0:
		return invalid("AttemptTimeout is negative (%v)", p.AttemptTimeout)
	case p.Schedule != nil: // the fields below shape only the default schedule
	case p.InitialDelay < 0:
		return invalid("InitialDelay is negative (%v)", p.InitialDelay)
	case p.MaxDelay < 0:
		return invalid("MaxDelay is negative (%v)", p.MaxDelay)
	case math.IsNaN(p.Multiplier):
		return invalid("Multiplier is not a number (NaN)")
	case p.Multiplier != 0 && p.Multiplier < 1:
		return invalid("Multiplier %v is below 1", p.Multiplier)
	case math.IsInf(p.Multiplier, 1):
		return invalid("Multiplier is infinite; it must be finite")
	case p.InitialDelay != 0 && p.MaxDelay != 0 && p.InitialDelay > p.MaxDelay:
		return invalid("InitialDelay %v is above MaxDelay %v", p.InitialDelay, p.MaxDelay)
	}
	return nil
}

// Do runs op until it succeeds or p says to give up, and returns nil, a
// *Error saying why it gave up, or an error for an invalid Policy. The
// context is checked before the first attempt, and op receives it (or, with
// AttemptTimeout, a child of it).
//
// Each failed attempt is classified by the first of these rules that
// matches:
//
//   - the caller's context has ended: stop (ReasonContext);
//   - the error is marked with Permanent: stop (ReasonPermanent);
//   - p.Classify returns DecisionStop (ReasonPermanent) or DecisionRetry;
//   - the attempt ran out of p.AttemptTimeout: retry;
//   - the first error in its chain with a Retryable() bool method decides,
//     as *result.Error's does by its code (an UPSTREAM_FAILURE by the
//     upstream's status, under the rule Transport follows);
//   - context.Canceled from within op stops (ReasonPermanent);
//     context.DeadlineExceeded from within op (an inner timeout) retries;
//   - anything else (a dial error, an unexpected EOF) retries.
//
// An error with a RetryAfter() time.Duration method that returns a positive
// delay sets the next delay, bounded by p.MaxRetryAfter. A retry also needs
// p.MaxAttempts and then p.Budget to allow it (the budget is asked last, so
// a retry that would not happen anyway spends nothing), and room before
// ctx's deadline: Do gives up at once rather than start a wait that would
// outlast it, while the caller still has time to use the answer.
func Do(ctx context.Context, p Policy, op func(context.Context) error) error {
	_, err := run(ctx, &p, attemptsCounter(p.MeterProvider), func(ctx context.Context) (struct{}, error) {
		return struct{}{}, op(ctx)
	}, nil)
	return err
}

// DoValue is Do for an operation that returns a value: that of the attempt
// that succeeded or, with the *Error, that of the last attempt.
func DoValue[T any](ctx context.Context, p Policy, op func(context.Context) (T, error)) (T, error) {
	return run(ctx, &p, attemptsCounter(p.MeterProvider), op, nil)
}

// epoch is the base of elapsed times: time.Since(epoch) reads only the
// monotonic clock, half of time.Now's cost to a first success (BenchmarkDo).
var epoch = time.Now()

// run is the retry loop. If discard is set, it releases a failed attempt's
// value before the wait (Transport closes the response), and the zero value
// takes its place.
func run[T any](ctx context.Context, p *Policy, attempts metric.Int64Counter,
	op func(context.Context) (T, error), discard func(T)) (T, error) {
	var zero T
	if ctx.Err() != nil {
		return zero, &Error{Reason: ReasonContext, ctxErr: contextErrors(ctx)}
	}
	if err := p.Validate(); err != nil {
		return zero, err
	}
	if p.Budget != nil {
		p.Budget.recordFirst()
	}
	start := time.Since(epoch)
	var sched backoff.BackOff
	for n := 1; ; n++ {
		v, err, timedOut := attempt(ctx, p.AttemptTimeout, op)
		if err == nil {
			attempts.Add(ctx, 1, outcomeSuccess...)
			return v, nil
		}
		giveUp := func(reason Reason, ctxErr []error, skipped time.Duration) (T, error) {
			attempts.Add(ctx, 1, outcome(string(reason))...)
			return v, &Error{Reason: reason, Attempts: n, Elapsed: time.Since(epoch) - start, Last: err,
				ctxErr: ctxErr, skipped: skipped}
		}
		if ctx.Err() != nil {
			return giveUp(ReasonContext, contextErrors(ctx), 0)
		}
		if !classify(p, err, timedOut) {
			return giveUp(ReasonPermanent, nil, 0)
		}
		if n == max(cmp.Or(p.MaxAttempts, DefaultMaxAttempts), 0) { // never, if negative
			return giveUp(ReasonExhausted, nil, 0)
		}
		if sched == nil {
			sched = p.newSchedule()
		}
		delay := sched.NextBackOff()
		if delay == backoff.Stop {
			return giveUp(ReasonExhausted, nil, 0)
		}
		if d := hint(err, cmp.Or(p.MaxRetryAfter, DefaultMaxRetryAfter)); d > 0 {
			delay = d
		}
		if deadline, ok := ctx.Deadline(); ok && !time.Now().Add(delay).Before(deadline) {
			return giveUp(ReasonContext, []error{context.DeadlineExceeded}, max(delay, 1))
		}
		if p.Budget != nil && !p.Budget.allowRetry() {
			return giveUp(ReasonBudget, nil, 0)
		}
		if discard != nil {
			discard(v)
			v = zero
		}
		observeRetry(ctx, p, Attempt{Number: n, Err: err, Delay: delay, Elapsed: time.Since(epoch) - start})
		if !sleep(ctx, delay) {
			return giveUp(ReasonContext, contextErrors(ctx), 0)
		}
		attempts.Add(ctx, 1, outcomeRetry...)
	}
}

// attempt runs op once, under timeout if it is positive, and reports
// whether the attempt ran out of that time while ctx is still live.
func attempt[T any](ctx context.Context, timeout time.Duration, op func(context.Context) (T, error)) (T, error, bool) {
	if timeout <= 0 {
		v, err := op(ctx)
		return v, err, false
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := op(actx)
	return v, err, err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
}

// sleep waits for d, reporting false if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return ctx.Err() == nil
	}
}
