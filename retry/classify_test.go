package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"testing/synctest"

	"github.com/hardenkit/harden/result"
)

func TestClassifyResultCodes(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		err   error
		retry bool
	}{
		{result.Validation(), false},
		{result.Unauthorized("token_expired"), false},
		{result.Forbidden(""), false},
		{result.NotFound("project", "42"), false},
		{result.Conflict("project", "42", "already_exists"), false},
		{result.PayloadTooLarge(1 << 20), false},
		{result.UnsupportedMediaType("text/plain", "application/json"), false},
		{result.Canceled(cause), false},
		{result.Internal(cause), false},
		{result.RateLimited(0), true},
		{result.UpstreamFailure("billing", 502, cause), true},
		{result.UpstreamFailure("billing", 400, cause), false}, // a 400 upstream will be a 400 again
		{result.Unavailable("", 0), true},
		{result.Timeout(cause), true},
	}
	for _, tt := range tests {
		code := result.CodeOf(tt.err)
		t.Run(fmt.Sprintf("%s/%v", code, tt.err), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				for _, err := range []error{tt.err, fmt.Errorf("load project: %w", tt.err)} {
					calls := 0
					p := quietPolicy()
					p.MaxAttempts = 3
					got := Do(context.Background(), p, func(context.Context) error {
						calls++
						return err
					})
					e := asError(t, got)
					wantCalls, wantReason := 1, ReasonPermanent
					if tt.retry {
						wantCalls, wantReason = 3, ReasonExhausted
					}
					if calls != wantCalls || e.Reason != wantReason {
						t.Errorf("%v: %d calls, %s; want %d, %s", err, calls, e.Reason, wantCalls, wantReason)
					}
					if result.CodeOf(got) != code {
						t.Errorf("CodeOf = %s, want %s", result.CodeOf(got), code)
					}
				}
			})
		})
	}
}

func TestClassifyDefaults(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		retry bool
	}{
		{"plain error", errors.New("boom"), true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"dial error", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{"canceled inside op", fmt.Errorf("query: %w", context.Canceled), false},
		{"deadline inside op", fmt.Errorf("query: %w", context.DeadlineExceeded), true},
		{"retryable false", retryableErr(false), false},
		{"retryable true", retryableErr(true), true},
		{"permanent", Permanent(errors.New("bad input")), false},
		{"wrapped permanent", fmt.Errorf("step 2: %w", Permanent(result.Unavailable("", 0))), false},
		{"joined permanent", errors.Join(errors.New("a"), Permanent(errors.New("b"))), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(&Policy{}, tt.err, false); got != tt.retry {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.retry)
			}
		})
	}
}

type retryableErr bool

func (r retryableErr) Error() string   { return fmt.Sprintf("retryable=%v", bool(r)) }
func (r retryableErr) Retryable() bool { return bool(r) }

func TestClassifyOverride(t *testing.T) {
	notFound := result.NotFound("job", "7")
	p := &Policy{Classify: func(err error) Decision {
		switch {
		case errors.Is(err, result.ErrNotFound):
			return DecisionRetry // eventually consistent reads
		case errors.Is(err, io.ErrUnexpectedEOF):
			return DecisionStop
		}
		return DecisionDefault
	}}
	tests := []struct {
		err   error
		retry bool
	}{
		{notFound, true},
		{io.ErrUnexpectedEOF, false},
		{result.Validation(), false},      // default rules
		{result.Unavailable("", 0), true}, // default rules
		{Permanent(notFound), false},      // Permanent beats Classify
		{fmt.Errorf("x: %w", notFound), true},
	}
	for _, tt := range tests {
		if got := classify(p, tt.err, false); got != tt.retry {
			t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.retry)
		}
	}
	// Classify sees an attempt that timed out before the timeout rule.
	stop := &Policy{Classify: func(error) Decision { return DecisionStop }}
	if classify(stop, context.DeadlineExceeded, true) {
		t.Error("Classify could not stop a timed-out attempt")
	}
	if !classify(&Policy{}, result.Canceled(context.DeadlineExceeded), true) {
		t.Error("a timed-out attempt was not retried")
	}
}

func TestPermanent(t *testing.T) {
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) != nil")
	}
	inner := result.NotFound("project", "42")
	wrapped := fmt.Errorf("load: %w", inner)
	calls := 0
	p := quietPolicy()
	p.Classify = func(error) Decision { return DecisionRetry }
	err := Do(context.Background(), p, func(context.Context) error {
		calls++
		return Permanent(wrapped)
	})
	e := asError(t, err)
	if calls != 1 || e.Reason != ReasonPermanent || e.Attempts != 1 {
		t.Errorf("%d calls, %+v; want 1 call, ReasonPermanent", calls, e)
	}
	if !errors.Is(err, wrapped) || !errors.Is(err, inner) || !errors.Is(err, result.ErrNotFound) {
		t.Errorf("error %v lost its chain", err)
	}
	if got, _ := errors.AsType[*result.Error](err); got != inner {
		t.Errorf("errors.AsType = %v, want the original *result.Error", got)
	}
	if result.CodeOf(err) != result.CodeNotFound {
		t.Errorf("CodeOf = %s, want NOT_FOUND", result.CodeOf(err))
	}
	if Permanent(wrapped).Error() != wrapped.Error() {
		t.Errorf("Permanent changed the text: %q", Permanent(wrapped))
	}
	if want := "retry: attempt 1 failed and is not retryable: " + wrapped.Error(); err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	var r interface{ Retryable() bool }
	if !errors.As(Permanent(result.Unavailable("", 0)), &r) || r.Retryable() {
		t.Error("a Permanent error does not report Retryable() == false")
	}
}
