package retry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Reason says why a retry loop gave up. Its text is also the retry.outcome
// of the attempt that ended the loop (see Policy.MeterProvider).
type Reason string

// The reasons a retry loop gives up.
const (
	// ReasonExhausted: every allowed attempt failed, or the schedule stopped.
	ReasonExhausted Reason = "exhausted"
	// ReasonPermanent: the error is not worth retrying (see Do).
	ReasonPermanent Reason = "permanent"
	// ReasonBudget: the Policy's Budget had no retry left.
	ReasonBudget Reason = "budget"
	// ReasonContext: the context ended, or its deadline left no room for the next delay.
	ReasonContext Reason = "context"
)

// Error is the error Do, DoValue and Transport return when they give up.
//
// Error unwraps to the last attempt's error, so errors.Is, errors.As and
// result.CodeOf see the operation's own error with its wrapping chain
// intact. For ReasonContext it also unwraps to the context's error (and its
// cause, if one was set), so errors.Is(err, context.DeadlineExceeded) holds
// when the deadline left no room for the next delay.
type Error struct {
	Reason   Reason        // why the loop gave up
	Attempts int           // how many times the operation ran: 0 if ctx had ended before the first
	Elapsed  time.Duration // time from the start of the first attempt until the loop gave up
	Last     error         // the last attempt's error; nil if no attempt ran

	ctxErr  []error       // the context's error and cause, for ReasonContext
	skipped time.Duration // the delay not started because it would pass the deadline
}

// Error describes the outcome, such as
// "retry: 4 attempts failed in 1.2s: UNAVAILABLE: ...".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("retry: ")
	switch {
	case e.Reason == ReasonExhausted:
		fmt.Fprintf(&b, "%s failed", plural(e.Attempts))
	case e.Reason == ReasonPermanent:
		fmt.Fprintf(&b, "attempt %d failed and is not retryable", e.Attempts)
	case e.Reason == ReasonBudget:
		fmt.Fprintf(&b, "retry budget spent after %s", plural(e.Attempts))
	case e.Reason != ReasonContext:
		fmt.Fprintf(&b, "gave up (%s) after %s", e.Reason, plural(e.Attempts))
	case e.skipped > 0:
		fmt.Fprintf(&b, "next delay of %s would pass the context deadline after %s",
			e.skipped.Round(time.Millisecond), plural(e.Attempts))
	case e.Attempts == 0:
		fmt.Fprintf(&b, "%s before the first attempt", e.contextText())
	default:
		fmt.Fprintf(&b, "%s after %s", e.contextText(), plural(e.Attempts))
	}
	if el := e.Elapsed.Round(time.Millisecond); el > 0 {
		fmt.Fprintf(&b, " in %s", el)
	}
	if e.Last != nil {
		b.WriteString(": " + e.Last.Error())
	}
	return b.String()
}

// contextText says how the context ended, with its cause if one was set:
// "context canceled (shutting down)".
func (e *Error) contextText() string {
	switch n := len(e.ctxErr); n {
	case 0:
		return "context done"
	case 1:
		return e.ctxErr[0].Error()
	default:
		return e.ctxErr[n-1].Error() + " (" + e.ctxErr[0].Error() + ")"
	}
}

// Unwrap returns the last attempt's error and, for ReasonContext, the
// context's error, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Last == nil {
		return e.ctxErr
	}
	return append([]error{e.Last}, e.ctxErr...)
}

// Timeout reports whether an error e unwraps to has a Timeout() bool method
// that says so, as context.DeadlineExceeded and net.Error timeouts do, so
// that the *url.Error an http.Client wraps around Transport's error answers
// Timeout() truthfully.
func (e *Error) Timeout() bool {
	for _, err := range e.Unwrap() {
		var t interface{ Timeout() bool }
		if errors.As(err, &t) && t.Timeout() {
			return true
		}
	}
	return false
}

func plural(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// contextErrors returns what a give-up caused by ctx unwraps to: ctx's
// error, after its cause when that says more.
func contextErrors(ctx context.Context) []error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, err) {
		return []error{cause, err}
	}
	return []error{err}
}
