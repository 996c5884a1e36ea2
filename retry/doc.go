// Package retry provides context-first retries: a Policy whose zero value is
// a production default, Do and DoValue to run an operation under it, a
// shared Budget that keeps a failing dependency from a retry storm, and
// Transport, an http.RoundTripper that retries what is safe to retry.
//
//	err := retry.Do(ctx, retry.Policy{}, func(ctx context.Context) error {
//		return client.Ping(ctx)
//	})
//
// The zero Policy makes at most 4 attempts, waiting before each retry for a
// random delay below a ceiling that starts at 100ms, doubles, and is capped
// at 10s ("full jitter"); Policy.Schedule takes any cenkalti/backoff/v4
// BackOff instead. The context bounds the whole loop: no attempt starts
// once it has ended, a wait ends as soon as it does, and a wait that would
// outlast its deadline is not started. There is no other time limit. A call
// whose first attempt succeeds allocates nothing. Retry at one layer only:
// a Do around code that retries itself multiplies the attempts.
//
// # Which errors are retried
//
// Errors say how they should be retried through small interfaces, read with
// errors.As, so any error type can take part: Retryable() bool is obeyed
// (*result.Error implements it by its code), RetryAfter() time.Duration
// sets the next delay, and Permanent(err) stops at once. An error that says
// nothing, such as a dial error, is retried. Do lists the rules in order;
// Transport lists what is retried over HTTP.
//
// Giving up returns a *Error with the Reason, the number of attempts, the
// time spent and the last error, to which it unwraps, so errors.Is,
// errors.As and result.CodeOf see the operation's own error.
//
// # Budgets and observability
//
// Retries multiply load at the worst moment. A Budget shared by every
// caller of a dependency lets every first attempt through but allows
// retries only up to a ratio of them (10% by default) plus a small floor
// per second; beyond that, calls give up with ReasonBudget.
//
// Each retry calls Policy.OnRetry, logs a warning through Policy.Logger with
// the context, so that correlation and trace IDs follow, and adds a "retry"
// event to the span in the context. Every attempt is counted on the
// OpenTelemetry counter retry.attempts (see Policy.MeterProvider).
//
// The package reads time only through package time, so the waits of code
// that retries take no real time in a testing/synctest bubble.
package retry
