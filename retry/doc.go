// Package retry provides context-first retries: a Policy whose zero value is
// a sane production default, Do and DoValue to run an operation under it,
// a shared Budget that keeps a failing dependency from a retry storm, and
// Transport, an http.RoundTripper that retries what is safe to retry.
//
//	err := retry.Do(ctx, retry.Policy{}, func(ctx context.Context) error {
//		return client.Ping(ctx)
//	})
//
// Schedules come from github.com/cenkalti/backoff/v4; the loop is this
// package's own, so that the operation always gets the caller's context, a
// cancelled context never starts an attempt, and there is no hidden time
// limit.
//
// # Policies
//
// The zero Policy makes at most 4 attempts, waiting before each retry for a
// delay drawn uniformly from [0, ceiling] ("full jitter"), where the ceiling
// starts at 100ms, doubles, and is capped at 10s. Each field overrides one
// default: MaxAttempts, InitialDelay, MaxDelay, Multiplier, or a whole
// backoff.BackOff through Schedule. AttemptTimeout bounds each attempt with
// a child context. A Policy is a plain value, safe to share; every call gets
// a fresh schedule, made only after the first failure, so a call whose first
// attempt succeeds allocates nothing and reads no clock. Retry at one layer
// only: a Do around code that retries itself (or around a client using
// Transport) multiplies the attempts.
//
// The context bounds the whole loop: it is checked before the first
// attempt, a wait ends as soon as it is done, and a delay that would end
// past its deadline is not started: Do gives up at once, while the caller
// still has time to use the answer.
//
// # Which errors are retried
//
// Errors say how they should be retried through small interfaces, read with
// errors.As, so any error type can take part:
//
//   - Retryable() bool is obeyed. *result.Error implements it: VALIDATION,
//     NOT_FOUND, CONFLICT, INTERNAL … stop; UNAVAILABLE, TIMEOUT and
//     RATE_LIMITED are retried, and UPSTREAM_FAILURE is unless the upstream
//     answered with a status this package would not retry either (a 500, a
//     3xx, a 4xx other than 408 and 429).
//   - RetryAfter() time.Duration sets the next delay (bounded by
//     Policy.MaxRetryAfter), so a rate limit's Retry-After is honoured.
//   - Permanent(err) stops at once, whatever else is said.
//
// The caller's context ending stops the loop; context.Canceled from inside
// the operation stops it, context.DeadlineExceeded from inside it is
// retried; an error that says nothing (a dial error, an unexpected EOF) is
// retried. Policy.Classify overrides these defaults.
//
// # Giving up
//
// Do returns nil or a *Error carrying the Reason it gave up (ReasonExhausted,
// ReasonPermanent, ReasonBudget, ReasonContext), the number of attempts, the
// time spent retrying and the last error. *Error unwraps to the last error,
// so errors.Is, errors.As and result.CodeOf see the operation's own error
// with its wrapping chain intact; when the context ended it also unwraps to
// the context's error.
//
// # Budgets
//
// Retries multiply load at the worst moment: four attempts per call turn a
// struggling dependency's traffic into four times as much. A Budget shared
// by every caller of a dependency lets every first attempt through but
// allows retries only up to a ratio of them (10% by default) plus a small
// floor per second; beyond that, calls give up with ReasonBudget.
//
// # Observability
//
// Before each wait, Policy.OnRetry is called, a warning is logged through
// Policy.Logger (slog.Default() when nil) with the context, so that
// correlation and trace IDs follow, and a "retry" event is added to the
// span in the context. Every attempt is counted on the retry.attempts
// counter (MetricAttempts) with its outcome. Spans and metrics go through
// the OpenTelemetry API and cost next to nothing until the program installs
// an SDK.
//
// # HTTP
//
// Transport wraps an http.RoundTripper to retry connection errors and 429,
// 502, 503 and 504 responses, for idempotent methods and for requests with
// an Idempotency-Key header, honouring Retry-After in both of its forms. It
// replays bodies through GetBody, never retries a body it cannot replay,
// drains the responses it discards (briefly: a body that stalls is
// abandoned, not waited for), never modifies the caller's request, and
// returns the last response when it gives up, as a RoundTripper should.
//
// # Testing
//
// Policy.Clock and BudgetOptions.Clock take a Clock, so tests can run loops
// with long delays in microseconds and see exactly which delays were chosen.
// With the default system clock, testing/synctest works as well.
package retry
