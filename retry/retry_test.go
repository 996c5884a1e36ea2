package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/hardenkit/harden/result"
)

var quiet = slog.New(slog.DiscardHandler)

// testPolicy returns a quiet policy whose OnRetry records the delays the
// loop waits for. Tests that wait run in a testing/synctest bubble, where
// the waits take no real time.
func testPolicy() (Policy, *[]time.Duration) {
	var delays []time.Duration
	return Policy{Logger: quiet, OnRetry: func(_ context.Context, a Attempt) {
		delays = append(delays, a.Delay)
	}}, &delays
}

// quietPolicy is a quiet policy that records nothing.
func quietPolicy() Policy { return Policy{Logger: quiet} }

// failing returns an op that fails with errs in turn, then succeeds, and a
// pointer to the number of calls.
func failing(errs ...error) (func(context.Context) error, *int) {
	var n int
	return func(context.Context) error {
		n++
		if n <= len(errs) {
			return errs[n-1]
		}
		return nil
	}, &n
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *retry.Error", err, err)
	}
	return e
}

func TestDoFirstAttemptSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		op, calls := failing()
		p, delays := testPolicy()
		if err := Do(context.Background(), p, op); err != nil {
			t.Fatalf("Do = %v, want nil", err)
		}
		if *calls != 1 {
			t.Errorf("op ran %d times, want 1", *calls)
		}
		if len(*delays) != 0 || time.Since(start) != 0 {
			t.Errorf("waited %v (delays %v), want no wait", time.Since(start), *delays)
		}
	})
}

func TestDoRetriesUntilSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		boom := errors.New("connection reset")
		var seen []Attempt
		calls := 0
		p := quietPolicy()
		p.OnRetry = func(_ context.Context, a Attempt) { seen = append(seen, a) }
		err := Do(context.Background(), p, func(context.Context) error {
			calls++
			time.Sleep(time.Second) // each attempt takes a second
			if calls < 3 {
				return boom
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Do = %v, want nil", err)
		}
		if calls != 3 || len(seen) != 2 {
			t.Fatalf("op ran %d times with %d retries, want 3 and 2", calls, len(seen))
		}
		// Elapsed counts from the start of the first attempt.
		elapsed := time.Second
		for i, a := range seen {
			if a.Number != i+1 || !errors.Is(a.Err, boom) || a.Elapsed != elapsed {
				t.Errorf("retry %d = %+v, want number %d, err %v, elapsed %v", i, a, i+1, boom, elapsed)
			}
			elapsed += a.Delay + time.Second
		}
		if got := time.Since(start); got != elapsed {
			t.Errorf("Do took %v, want the attempts and the delays OnRetry saw, %v", got, elapsed)
		}
	})
}

func TestDoExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { testDoExhausted(t) })
}

func testDoExhausted(t *testing.T) {
	boom := result.Unavailable("maintenance", 0)
	calls := 0
	p, delays := testPolicy()
	p.MaxAttempts = 3
	err := Do(context.Background(), p, func(context.Context) error {
		calls++
		return fmt.Errorf("load profile: %w", boom)
	})
	e := asError(t, err)
	if e.Reason != ReasonExhausted || e.Attempts != 3 || calls != 3 {
		t.Errorf("got reason %s after %d attempts (%d calls), want exhausted after 3", e.Reason, e.Attempts, calls)
	}
	var sum time.Duration
	for _, d := range *delays {
		sum += d
	}
	if e.Elapsed != sum {
		t.Errorf("Elapsed = %v, want the sum of the delays %v", e.Elapsed, sum)
	}
	if !errors.Is(err, boom) || !errors.Is(err, result.ErrUnavailable) || result.CodeOf(err) != result.CodeUnavailable {
		t.Errorf("errors.Is/CodeOf do not see the last error through %v", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("exhausted error %v matches a context error", err)
	}
}

func TestDoMaxAttempts(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		max, fails, wantCalls int
		wantErr               bool
	}{
		{0, 100, DefaultMaxAttempts, true},
		{1, 100, 1, true},
		{2, 1, 2, false},
		{-1, 25, 26, false}, // no limit
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			errs := make([]error, tt.fails)
			for i := range errs {
				errs[i] = boom
			}
			synctest.Test(t, func(t *testing.T) {
				op, calls := failing(errs...)
				p := quietPolicy()
				p.MaxAttempts = tt.max
				err := Do(context.Background(), p, op)
				if *calls != tt.wantCalls || (err != nil) != tt.wantErr {
					t.Errorf("MaxAttempts %d: %d calls, err %v; want %d calls, error %v", tt.max, *calls, err, tt.wantCalls, tt.wantErr)
				}
			})
		})
	}
}

func TestDoContextDoneBeforeFirstAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	op, calls := failing()
	err := Do(ctx, quietPolicy(), op)
	e := asError(t, err)
	if *calls != 0 || e.Reason != ReasonContext || e.Attempts != 0 || e.Last != nil {
		t.Errorf("got %d calls, %+v; want no attempt and ReasonContext", *calls, e)
	}
	if !errors.Is(err, context.Canceled) || result.CodeOf(err) != result.CodeCanceled {
		t.Errorf("error %v does not match context.Canceled / CANCELED", err)
	}
	if want := "retry: context canceled before the first attempt"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestDoContextCauseIsKept(t *testing.T) {
	shutdown := errors.New("shutting down")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(shutdown)
	err := Do(ctx, quietPolicy(), func(context.Context) error { return nil })
	if !errors.Is(err, shutdown) || !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not match both the cause and context.Canceled", err)
	}
}

func TestDoCancelledMidSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		boom := result.Unavailable("", 0)
		p, delays := testPolicy()
		p.Schedule = func() backoff.BackOff { return backoff.NewConstantBackOff(time.Hour) }
		done := make(chan error, 1)
		go func() { done <- Do(ctx, p, func(context.Context) error { return boom }) }()

		synctest.Wait() // Do is waiting
		if len(*delays) != 1 || (*delays)[0] != time.Hour {
			t.Fatalf("waiting %v, want 1h", *delays)
		}
		time.Sleep(time.Minute)
		cancel()
		err := <-done
		e := asError(t, err)
		if e.Reason != ReasonContext || e.Attempts != 1 || !errors.Is(err, boom) || !errors.Is(err, context.Canceled) {
			t.Errorf("got %+v (%v), want ReasonContext after 1 attempt matching both errors", e, err)
		}
		if want := "retry: context canceled after 1 attempt in 1m0s: UNAVAILABLE"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Error() = %q, want it to start %q", err, want)
		}
	})
}

func TestDoCancelledMidSleepSystemClock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{Logger: quiet, Schedule: func() backoff.BackOff { return backoff.NewConstantBackOff(time.Hour) }}
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Do(ctx, p, func(context.Context) error {
			close(started)
			return errors.New("boom")
		})
	}()
	<-started
	begin := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Do = %v, want context.Canceled", err)
		}
		if d := time.Since(begin); d > 5*time.Second {
			t.Errorf("Do took %v to return after cancel", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Do did not return after its context was cancelled mid-sleep")
	}
}

func TestDoDelayPastDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { testDoDelayPastDeadline(t) })
}

func testDoDelayPastDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, delays := testPolicy()
	p.Schedule = func() backoff.BackOff { return backoff.NewConstantBackOff(2 * time.Minute) }
	op, calls := failing(errors.New("boom"), errors.New("boom"))
	err := Do(ctx, p, op)
	e := asError(t, err)
	if *calls != 1 || e.Reason != ReasonContext || len(*delays) != 0 {
		t.Errorf("got %d calls, reason %s, delays %v; want 1 call, ReasonContext, no wait", *calls, e.Reason, *delays)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not match context.DeadlineExceeded", err)
	}
	if ctx.Err() != nil {
		t.Error("the context ended: Do waited instead of returning at once")
	}
	if want := "retry: next delay of 2m0s would pass the context deadline after 1 attempt: boom"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestDoRetryAfter(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		maxHint   time.Duration
		wantDelay time.Duration
	}{
		{"rate limited", result.RateLimited(3 * time.Second), 0, 3 * time.Second},
		{"unavailable", result.Unavailable("maintenance", 40*time.Second), 0, 40 * time.Second},
		{"wrapped", fmt.Errorf("call: %w", result.RateLimited(2*time.Second)), 0, 2 * time.Second},
		{"bounded by default", result.RateLimited(time.Hour), 0, DefaultMaxRetryAfter},
		{"bounded by policy", result.RateLimited(time.Hour), 5 * time.Second, 5 * time.Second},
		{"user type", hintErr(7 * time.Second), 0, 7 * time.Second},
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			p, delays := testPolicy()
			p.MaxRetryAfter = tt.maxHint
			op, _ := failing(tt.err)
			if err := Do(context.Background(), p, op); err != nil {
				t.Fatalf("%s: Do = %v", tt.name, err)
			}
			if d := *delays; len(d) != 1 || d[0] != tt.wantDelay || time.Since(start) != tt.wantDelay {
				t.Errorf("%s: delays %v after %v, want [%v]", tt.name, d, time.Since(start), tt.wantDelay)
			}
		})
	}
}

// hintErr is a user's error type with a delay hint and no Retryable method.
type hintErr time.Duration

func (h hintErr) Error() string             { return "slow down" }
func (h hintErr) RetryAfter() time.Duration { return time.Duration(h) }

func TestDoRetryAfterZeroUsesSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, delays := testPolicy()
		p.Schedule = func() backoff.BackOff { return backoff.NewConstantBackOff(123 * time.Millisecond) }
		op, _ := failing(result.RateLimited(0))
		if err := Do(context.Background(), p, op); err != nil {
			t.Fatal(err)
		}
		if d := *delays; len(d) != 1 || d[0] != 123*time.Millisecond {
			t.Errorf("delays %v, want the schedule's [123ms]", d)
		}
	})
}

func TestDoRetryAfterPastDeadlineGivesUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	op, calls := failing(result.RateLimited(30 * time.Second))
	p, delays := testPolicy()
	err := Do(ctx, p, op)
	e := asError(t, err)
	if *calls != 1 || e.Reason != ReasonContext || len(*delays) != 0 {
		t.Errorf("got %d calls, %s, delays %v; want to give up at once", *calls, e.Reason, *delays)
	}
	if result.CodeOf(err) != result.CodeRateLimited || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v: want RATE_LIMITED and DeadlineExceeded in its chain", err)
	}
}

func TestDoAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { testDoAttemptTimeout(t) })
}

func testDoAttemptTimeout(t *testing.T) {
	p := quietPolicy()
	p.AttemptTimeout = 20 * time.Millisecond
	var calls int
	var deadlines []bool
	err := Do(context.Background(), p, func(ctx context.Context) error {
		calls++
		_, ok := ctx.Deadline()
		deadlines = append(deadlines, ok)
		if calls == 1 {
			<-ctx.Done()
			// An operation that turns its timeout into a non-retryable
			// error is still retried: the attempt ran out of its own time.
			return result.Canceled(ctx.Err())
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("Do = %v after %d calls, want nil after 2", err, calls)
	}
	for i, ok := range deadlines {
		if !ok {
			t.Errorf("attempt %d had no deadline", i+1)
		}
	}
}

func TestDoValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { testDoValue(t) })
}

func testDoValue(t *testing.T) {
	n := 0
	got, err := DoValue(context.Background(), quietPolicy(), func(context.Context) (string, error) {
		n++
		if n < 3 {
			return "", result.Timeout(nil)
		}
		return "profile", nil
	})
	if err != nil || got != "profile" || n != 3 {
		t.Errorf("DoValue = %q, %v after %d calls; want profile, nil after 3", got, err, n)
	}

	got, err = DoValue(context.Background(), quietPolicy(), func(context.Context) (string, error) {
		return "partial", result.NotFound("profile", "42")
	})
	if got != "partial" || !errors.Is(err, result.ErrNotFound) {
		t.Errorf("DoValue = %q, %v; want the last attempt's value and NOT_FOUND", got, err)
	}
}

// DoValue returns the last attempt's value with the error however the loop
// ends, a context cancelled during the wait included.
func TestDoValueLastValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		op := func(context.Context) (int, error) { return 42, errors.New("boom") }

		p := quietPolicy()
		p.MaxAttempts = 2
		if v, err := DoValue(context.Background(), p, op); v != 42 || asError(t, err).Reason != ReasonExhausted {
			t.Errorf("exhausted: DoValue = %d, %v; want 42 and ReasonExhausted", v, err)
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		type out struct {
			v   int
			err error
		}
		done := make(chan out, 1)
		go func() {
			v, err := DoValue(ctx, quietPolicy(), op)
			done <- out{v, err}
		}()
		synctest.Wait() // the loop waits after the first attempt
		cancel()
		o := <-done
		if o.v != 42 || asError(t, o.err).Reason != ReasonContext {
			t.Errorf("cancelled mid-wait: DoValue = %d, %v; want 42 and ReasonContext", o.v, o.err)
		}
	})
}

func TestDoInvalidPolicy(t *testing.T) {
	tests := []struct {
		p    Policy
		want string
	}{
		{Policy{InitialDelay: -1}, "InitialDelay is negative"},
		{Policy{MaxDelay: -time.Second}, "MaxDelay is negative"},
		{Policy{MaxRetryAfter: -1}, "MaxRetryAfter is negative"},
		{Policy{AttemptTimeout: -1}, "AttemptTimeout is negative"},
		{Policy{Multiplier: 0.5}, "Multiplier 0.5 is below 1"},
		{Policy{Multiplier: -2}, "Multiplier -2 is below 1"},
		{Policy{InitialDelay: 2 * time.Second, MaxDelay: time.Second}, "InitialDelay 2s is above MaxDelay 1s"},
		{Policy{Multiplier: math.NaN()}, "Multiplier is not a number (NaN)"},
		{Policy{Multiplier: math.Inf(1)}, "Multiplier is infinite; it must be finite"},
		{Policy{Multiplier: math.Inf(-1)}, "Multiplier -Inf is below 1"},
		{Policy{MaxRetryAfter: -1, Schedule: zeroSchedule}, "MaxRetryAfter is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			op, calls := failing()
			err := Do(context.Background(), tt.p, op)
			if err == nil || !strings.HasPrefix(err.Error(), "retry: invalid Policy: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Do = %v, want an invalid-policy error about %q", err, tt.want)
			}
			if *calls != 0 {
				t.Errorf("op ran %d times with an invalid policy", *calls)
			}
			if v := tt.p.Validate(); v == nil || v.Error() != err.Error() {
				t.Errorf("Validate = %v, want %v", v, err)
			}
		})
	}
	for _, p := range []Policy{{}, {MaxDelay: 50 * time.Millisecond}, {InitialDelay: time.Minute}, {Multiplier: 1}} {
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", p, err)
		}
	}
}

func zeroSchedule() backoff.BackOff { return &backoff.ZeroBackOff{} }

// With a Schedule, the fields of the default schedule are unused, so they
// are not validated either.
func TestDoScheduleIgnoresDefaultScheduleFields(t *testing.T) {
	for _, p := range []Policy{
		{InitialDelay: time.Second, MaxDelay: time.Millisecond},
		{InitialDelay: -1, MaxDelay: -1},
		{Multiplier: 0.5},
		{Multiplier: math.NaN()},
		{Multiplier: math.Inf(1)},
	} {
		p.Schedule = zeroSchedule
		p.Logger = quiet
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", p, err)
		}
		op, calls := failing(errors.New("boom"))
		if err := Do(context.Background(), p, op); err != nil || *calls != 2 {
			t.Errorf("Do = %v after %d calls, want nil after 2", err, *calls)
		}
	}
	// A Schedule that returns nil gets the default schedule, still without
	// reading the unused fields.
	synctest.Test(t, func(t *testing.T) {
		p, delays := testPolicy()
		p.MaxAttempts, p.InitialDelay, p.Multiplier = 3, -1, math.NaN()
		p.Schedule = func() backoff.BackOff { return nil }
		_ = Do(context.Background(), p, func(context.Context) error { return errors.New("boom") })
		for i, d := range *delays {
			if ceiling := DefaultInitialDelay << i; d < 0 || d > ceiling {
				t.Errorf("delay %d = %v, want within [0, %v]", i+1, d, ceiling)
			}
		}
		if n := len(*delays); n != 2 {
			t.Errorf("%d delays, want 2", n)
		}
	})
}

func TestDoSchedule(t *testing.T) {
	boom := errors.New("boom")
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		p, delays := testPolicy()
		p.Schedule = func() backoff.BackOff { return backoff.NewConstantBackOff(7 * time.Second) }
		op, _ := failing(boom, boom, boom)
		if err := Do(context.Background(), p, op); err != nil {
			t.Fatal(err)
		}
		if d := *delays; fmt.Sprint(d) != "[7s 7s 7s]" || time.Since(start) != 21*time.Second {
			t.Errorf("delays %v in %v, want [7s 7s 7s] in 21s", d, time.Since(start))
		}
	})
	t.Run("stop", func(t *testing.T) {
		p := quietPolicy()
		p.Schedule = func() backoff.BackOff { return &backoff.StopBackOff{} }
		op, calls := failing(boom)
		e := asError(t, Do(context.Background(), p, op))
		if e.Reason != ReasonExhausted || *calls != 1 {
			t.Errorf("got %s after %d calls, want exhausted after 1", e.Reason, *calls)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		p, delays := testPolicy()
		p.Schedule = func() backoff.BackOff { return &backoff.ZeroBackOff{} }
		op, calls := failing(boom, boom)
		if err := Do(context.Background(), p, op); err != nil || *calls != 3 {
			t.Fatalf("Do = %v after %d calls", err, *calls)
		}
		if d := *delays; fmt.Sprint(d) != "[0s 0s]" || time.Since(start) != 0 {
			t.Errorf("delays %v in %v, want [0s 0s] in no time", d, time.Since(start))
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p, delays := testPolicy()
		made := 0
		p.Schedule = func() backoff.BackOff {
			made++
			b := backoff.NewExponentialBackOff(backoff.WithRandomizationFactor(0),
				backoff.WithInitialInterval(time.Second), backoff.WithMultiplier(2))
			return b
		}
		for range 2 {
			op, _ := failing(boom, boom)
			if err := Do(context.Background(), p, op); err != nil {
				t.Fatal(err)
			}
		}
		if d := *delays; made != 2 || fmt.Sprint(d) != "[1s 2s 1s 2s]" {
			t.Errorf("made %d schedules with delays %v, want 2 with [1s 2s 1s 2s]", made, d)
		}
		op, _ := failing()
		_ = Do(context.Background(), p, op)
		if made != 2 {
			t.Errorf("a first-attempt success made a schedule")
		}
	})
}

func TestDoDefaultScheduleBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { testDoDefaultScheduleBounds(t) })
}

func testDoDefaultScheduleBounds(t *testing.T) {
	for range 50 {
		p, delays := testPolicy()
		p.MaxAttempts = 8
		p.InitialDelay = time.Second
		p.MaxDelay = 5 * time.Second
		op, _ := failing(errors.New("a"), errors.New("b"), errors.New("c"), errors.New("d"), errors.New("e"), errors.New("f"), errors.New("g"))
		if err := Do(context.Background(), p, op); err != nil {
			t.Fatal(err)
		}
		ceilings := []time.Duration{1, 2, 4, 5, 5, 5, 5}
		for i, d := range *delays {
			if d < 0 || d > ceilings[i]*time.Second {
				t.Fatalf("delay %d = %v, want within [0, %v]", i+1, d, ceilings[i]*time.Second)
			}
		}
	}
}

func TestDoSystemClockSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		op, calls := failing(errors.New("a"), errors.New("b"), errors.New("c"))
		if err := Do(context.Background(), Policy{Logger: quiet}, op); err != nil {
			t.Fatal(err)
		}
		// Full jitter below ceilings of 100, 200 and 400ms.
		if el := time.Since(start); *calls != 4 || el > 700*time.Millisecond {
			t.Errorf("%d calls in %v, want 4 within 700ms", *calls, el)
		}
	})
}

func TestDoSharedPolicyConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { testDoSharedPolicyConcurrently(t) })
}

func testDoSharedPolicyConcurrently(t *testing.T) {
	p := quietPolicy()
	p.Budget = NewBudget(nil)
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 50 {
				n := 0
				_ = Do(context.Background(), p, func(context.Context) error {
					total.Add(1)
					n++
					if n == 1 {
						return result.Unavailable("", 0)
					}
					return nil
				})
			}
		})
	}
	wg.Wait()
	if got := total.Load(); got < 800 || got > 1600 {
		t.Errorf("%d attempts for 800 calls, want between 800 and 1600", got)
	}
}

// A first attempt that succeeds allocates nothing, with or without a budget.
func TestDoFirstSuccessIsFree(t *testing.T) {
	p := Policy{Budget: NewBudget(nil), Logger: quiet}
	ctx := context.Background()
	ok := func(context.Context) error { return nil }
	okValue := func(context.Context) (int, error) { return 1, nil }
	allocs := testing.AllocsPerRun(100, func() {
		_ = Do(ctx, p, ok)
		_, _ = DoValue(ctx, p, okValue)
	})
	if allocs != 0 {
		t.Errorf("Do and DoValue allocated %v times per successful call, want 0", allocs)
	}
}

// Error.Elapsed counts from the start of the first attempt, so a loop that
// gives up after one slow attempt reports its time.
func TestDoElapsedIncludesFirstAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := Do(context.Background(), quietPolicy(), func(context.Context) error {
			time.Sleep(1500 * time.Millisecond)
			return Permanent(errors.New("bad input"))
		})
		e := asError(t, err)
		if e.Elapsed != 1500*time.Millisecond {
			t.Errorf("Elapsed = %v, want the first attempt's 1.5s", e.Elapsed)
		}
		if want := "retry: attempt 1 failed and is not retryable in 1.5s: bad input"; err.Error() != want {
			t.Errorf("Error() = %q, want %q", err, want)
		}
	})
}
