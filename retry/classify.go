package retry

import (
	"context"
	"errors"
	"time"
)

// Decision is a Policy's Classify verdict on a failed attempt.
type Decision uint8

// The decisions a Policy's Classify function can return.
const (
	DecisionDefault Decision = iota // leave the error to the default rules (see Do)
	DecisionRetry                   // retry, within the Policy's limits
	DecisionStop                    // give up at once with ReasonPermanent
)

// Permanent marks err as not worth retrying: Do gives up at once with
// ReasonPermanent, whatever Classify says, and its *Error unwraps to err. The
// marker adds no text and reports Retryable() == false. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Retryable() bool { return false }

// classify reports whether a failed attempt may be retried, by the rules
// listed in Do's documentation, while the caller's context is live.
func classify(p *Policy, err error, attemptTimedOut bool) bool {
	if _, ok := errors.AsType[*permanentError](err); ok {
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
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	return !errors.Is(err, context.Canceled)
}

// hint returns the positive delay err asks for through a RetryAfter()
// method, at most limit, or 0.
func hint(err error, limit time.Duration) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return min(max(ra.RetryAfter(), 0), limit)
	}
	return 0
}
