package retry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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
}

func TestErrorTimeout(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want bool
	}{
		{"attempt timeout", &Error{Reason: ReasonExhausted, Attempts: 2, Last: fmt.Errorf("get: %w", context.DeadlineExceeded)}, true},
		{"caller deadline", &Error{Reason: ReasonContext, Attempts: 1, Last: errors.New("503"), ctxErr: []error{context.DeadlineExceeded}}, true},
		{"canceled", &Error{Reason: ReasonContext, Attempts: 1, Last: errors.New("503"), ctxErr: []error{context.Canceled}}, false},
		{"plain failure", &Error{Reason: ReasonExhausted, Attempts: 4, Last: errors.New("connection refused")}, false},
		{"no attempt", &Error{Reason: ReasonContext}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Timeout(); got != tt.want {
				t.Errorf("Timeout() = %v, want %v", got, tt.want)
			}
			// http.Client wraps a transport's error in *url.Error, whose
			// Timeout asks the error it wraps.
			ue := &url.Error{Op: "Get", URL: "http://x", Err: tt.err}
			if got := ue.Timeout(); got != tt.want {
				t.Errorf("url.Error.Timeout() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTransportAttemptTimeoutIsATimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	client := &http.Client{Transport: Transport(srv.Client().Transport, Policy{
		MaxAttempts:    2,
		AttemptTimeout: 20 * time.Millisecond,
		InitialDelay:   time.Millisecond,
		MaxDelay:       time.Millisecond,
		Logger:         quiet,
	})}
	resp, err := client.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("Get succeeded against a server that never answers")
	}
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() {
		t.Errorf("Get error %v: Timeout() is false, want true", err)
	}
	srv.CloseClientConnections()
}
