package retry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Reason says why a retry loop gave up.
type Reason string

// The reasons a retry loop gives up. Their text is also the value of the
// retry.outcome metric attribute for the attempt that ended the loop.
const (
	// ReasonExhausted: every allowed attempt failed (Policy.MaxAttempts), or
	// the schedule returned backoff.Stop.
	ReasonExhausted Reason = "exhausted"
	// ReasonPermanent: the error is not worth retrying: it was marked with
	// Permanent, says Retryable() == false, is context.Canceled from inside the
	// operation, or the Policy's Classify said DecisionStop.
	ReasonPermanent Reason = "permanent"
	// ReasonBudget: the Policy's Budget had no retry left.
	ReasonBudget Reason = "budget"
	// ReasonContext: the caller's context ended, or the next delay would have
	// ended past its deadline.
	ReasonContext Reason = "context"
)

// String returns the reason's text, such as "exhausted".
func (r Reason) String() string { return string(r) }

// Error is the error Do, DoValue and Transport return when they give up: why,
// after how many attempts and how long, and the last attempt's error.
//
// Error unwraps to the last attempt's error, so errors.Is, errors.As and
// result.CodeOf see through it to the operation's own error, with its
// wrapping chain intact (a Permanent marker included). When the caller's
// context ended, or its deadline left no room for the next delay, Error also
// unwraps to the context's error (context.Canceled or
// context.DeadlineExceeded, and its cause if one was set), so
// errors.Is(err, context.DeadlineExceeded) holds as well.
//
// An Error is a value describing one outcome; treat it as read-only.
type Error struct {
	// Reason is why the loop gave up.
	Reason Reason
	// Attempts is how many times the operation ran: 0 when the context had
	// ended before the first attempt.
	Attempts int
	// Elapsed is the time spent retrying, from the first attempt's failure
	// until the loop gave up: the first attempt itself is not timed, so that a
	// call whose first attempt succeeds never reads the clock. It is 0 when
	// the loop gave up after the first attempt, before any wait.
	Elapsed time.Duration
	// Last is the last attempt's error, as the operation returned it; nil
	// when no attempt ran.
	Last error

	// ctxErr is the context's error (and cause) for ReasonContext.
	ctxErr []error
	// skipped is the delay that was not started because it would have ended
	// past the context's deadline.
	skipped time.Duration
}

var _ error = (*Error)(nil)

// Error describes the outcome, such as
// "retry: all 4 attempts failed in 1.2s: UNAVAILABLE: ...".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("retry: ")
	switch e.Reason {
	case ReasonExhausted:
		fmt.Fprintf(&b, "%s failed", plural(e.Attempts, "attempt"))
	case ReasonPermanent:
		fmt.Fprintf(&b, "attempt %d failed and is not retryable", e.Attempts)
	case ReasonBudget:
		fmt.Fprintf(&b, "retry budget spent after %s", plural(e.Attempts, "attempt"))
	case ReasonContext:
		switch {
		case e.skipped > 0:
			fmt.Fprintf(&b, "next delay of %s would pass the context deadline after %s",
				e.skipped.Round(time.Millisecond), plural(e.Attempts, "attempt"))
		case e.Attempts == 0:
			fmt.Fprintf(&b, "%v before the first attempt", e.contextText())
		default:
			fmt.Fprintf(&b, "%v after %s", e.contextText(), plural(e.Attempts, "attempt"))
		}
	default:
		fmt.Fprintf(&b, "gave up (%s) after %s", e.Reason, plural(e.Attempts, "attempt"))
	}
	if el := e.Elapsed.Round(time.Millisecond); el > 0 {
		fmt.Fprintf(&b, " in %s", el)
	}
	if e.Last != nil {
		b.WriteString(": ")
		b.WriteString(e.Last.Error())
	}
	return b.String()
}

// contextText says how the context ended, with its cause when one was set:
// "context canceled (shutting down)".
func (e *Error) contextText() string {
	if len(e.ctxErr) == 0 {
		return "context done"
	}
	s := "context " + strings.TrimPrefix(e.ctxErr[len(e.ctxErr)-1].Error(), "context ")
	if len(e.ctxErr) > 1 {
		s += " (" + e.ctxErr[0].Error() + ")"
	}
	return s
}

// Unwrap returns the last attempt's error and, for ReasonContext, the
// context's error, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 1+len(e.ctxErr))
	if e.Last != nil {
		errs = append(errs, e.Last)
	}
	return append(errs, e.ctxErr...)
}

// Timeout reports whether the loop ended in a timeout: an error it unwraps
// to has a Timeout() bool method that says so, as context.DeadlineExceeded
// (an attempt's timeout, or the caller's deadline) and net.Error timeouts
// do. It lets the *url.Error an http.Client wraps around Transport's error
// answer Timeout() truthfully.
func (e *Error) Timeout() bool {
	for _, err := range e.Unwrap() {
		var t interface{ Timeout() bool }
		if errors.As(err, &t) && t.Timeout() {
			return true
		}
	}
	return false
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// contextErrors returns what a give-up caused by ctx unwraps to: ctx's error,
// and its cause when that says more. It is empty while ctx is live.
func contextErrors(ctx context.Context) []error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, err) {
		return []error{cause, err}
	}
	return []error{err}
}
