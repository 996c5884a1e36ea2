package retry

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Decision is a classifier's verdict on a failed attempt.
type Decision uint8

// The decisions a Policy's Classify function can return.
const (
	// DecisionDefault leaves the error to the default rules (see Classify).
	DecisionDefault Decision = iota
	// DecisionRetry retries the error, within the Policy's limits.
	DecisionRetry
	// DecisionStop gives up at once with ReasonPermanent.
	DecisionStop
)

// String returns "default", "retry" or "stop".
func (d Decision) String() string {
	switch d {
	case DecisionDefault:
		return "default"
	case DecisionRetry:
		return "retry"
	case DecisionStop:
		return "stop"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Permanent marks err as not worth retrying: Do returns at once, with a
// *Error whose Reason is ReasonPermanent and whose Last is the error the
// operation returned, so err and everything it wraps stay visible to
// errors.Is, errors.As and result.CodeOf. The marker adds nothing to the
// error's text. Permanent(nil) is nil.
//
// Permanent takes precedence over every other rule, including a Policy's
// Classify function: it is the operation's own, explicit statement.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

type permanentError struct{ err error }

// Error implements error.
func (e *permanentError) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error, for errors.Is and errors.As.
func (e *permanentError) Unwrap() error { return e.err }

// Retryable reports false, so other code that reads the Retryable
// interface sees the mark too.
func (e *permanentError) Retryable() bool { return false }

// The behaviour interfaces an error can implement to say how it should be
// retried. *result.Error implements both; so can any user type.
type (
	retryable  interface{ Retryable() bool }
	retryAfter interface{ RetryAfter() time.Duration }
)

// classify decides whether a failed attempt may be retried. It is called
// only while the caller's context is live (when it has ended the loop stops
// with ReasonContext before asking). The rules, first match wins:
//
//  1. an error marked with Permanent stops;
//  2. the Policy's Classify function, unless it returns DecisionDefault;
//  3. the attempt ran out of its own AttemptTimeout: retry;
//  4. the first error in the chain with a Retryable() bool method is obeyed;
//  5. context.Canceled (something inside the operation cancelled it) stops;
//     context.DeadlineExceeded (an inner timeout) is retried;
//  6. anything else (a dial error, an unexpected EOF) is retried.
func classify(p *Policy, err error, attemptTimedOut bool) bool {
	var pe *permanentError
	if errors.As(err, &pe) {
		return false
	}
	if p.Classify != nil {
		switch p.Classify(err) {
		case DecisionRetry:
			return true
		case DecisionStop:
			return false
		}
	}
	if attemptTimedOut {
		return true
	}
	var r retryable
	if errors.As(err, &r) {
		return r.Retryable()
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	return true
}

// hint returns the delay err asks for through RetryAfter() (0 if none),
// bounded by max.
func hint(err error, max time.Duration) time.Duration {
	var ra retryAfter
	if !errors.As(err, &ra) {
		return 0
	}
	d := ra.RetryAfter()
	if d <= 0 {
		return 0
	}
	return min(d, max)
}
