package retry

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestErrorText(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		e    *Error
		want string
	}{
		{&Error{Reason: ReasonExhausted, Attempts: 4, Elapsed: 1234567 * time.Microsecond, Last: boom},
			"retry: 4 attempts failed in 1.235s: boom"},
		{&Error{Reason: ReasonPermanent, Attempts: 1, Last: boom},
			"retry: attempt 1 failed and is not retryable: boom"},
		{&Error{Reason: ReasonBudget, Attempts: 2, Elapsed: time.Second, Last: boom},
			"retry: retry budget spent after 2 attempts in 1s: boom"},
		{&Error{Reason: ReasonContext, Attempts: 2, Elapsed: time.Second, Last: boom, ctxErr: []error{context.DeadlineExceeded}},
			"retry: context deadline exceeded after 2 attempts in 1s: boom"},
		{&Error{Reason: ReasonContext, Attempts: 1, Last: boom, ctxErr: []error{errors.New("shutdown"), context.Canceled}},
			"retry: context canceled (shutdown) after 1 attempt: boom"},
		{&Error{Reason: ReasonContext, ctxErr: []error{context.Canceled}},
			"retry: context canceled before the first attempt"},
		{&Error{Reason: ReasonContext, Attempts: 3, Last: boom, skipped: 1500 * time.Millisecond, ctxErr: []error{context.DeadlineExceeded}},
			"retry: next delay of 1.5s would pass the context deadline after 3 attempts: boom"},
		{&Error{Reason: "odd", Attempts: 1, Last: boom},
			"retry: gave up (odd) after 1 attempt: boom"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	boom := errors.New("boom")
	e := &Error{Reason: ReasonContext, Attempts: 1, Last: boom, ctxErr: []error{context.Canceled}}
	got := e.Unwrap()
	if len(got) != 2 || got[0] != boom || got[1] != context.Canceled {
		t.Errorf("Unwrap = %v, want [boom context.Canceled]", got)
	}
	if got := (&Error{Reason: ReasonExhausted, Attempts: 2, Last: boom}).Unwrap(); len(got) != 1 || got[0] != boom {
		t.Errorf("Unwrap = %v, want [boom]", got)
	}
	if ReasonBudget.String() != "budget" {
		t.Errorf("ReasonBudget.String() = %q", ReasonBudget.String())
	}
}
