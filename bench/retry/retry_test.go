package retrybench

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	avast "github.com/avast/retry-go/v4"
	"github.com/cenkalti/backoff/v4"
	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/hardenkit/harden/retry"
	sethvargo "github.com/sethvargo/go-retry"
)

var (
	errBoom = errors.New("boom")
	quiet   = slog.New(slog.DiscardHandler)
	sinkErr error
)

// work is the operation: a call the compiler cannot inline or remove.
//
//go:noinline
func work(context.Context) error { return nil }

// flaky returns an operation that fails its first call and then succeeds.
// wrap marks the failure retryable for libraries that need it (go-retry).
func flaky(wrap func(error) error) func(context.Context) error {
	n := 0
	return func(ctx context.Context) error {
		n++
		if n == 1 {
			return wrap(errBoom)
		}
		return work(ctx)
	}
}

func same(err error) error { return err }

// A contender runs op under its library with at most four attempts.
type contender struct {
	name string
	do   func(ctx context.Context, op func(context.Context) error) error
}

// contenders returns each library set up as a service would: with zero
// true, a zero delay between attempts; otherwise the library's usual
// exponential schedule starting at 100ms (which the success path never
// waits for, but may have to build). Per-call state (schedules, executors
// bound to a context) is built per call, as it must be; what can be shared
// (harden's Policy, failsafe's RetryPolicy) is built once.
func contenders(zero bool) []contender {
	hp := retry.Policy{MaxAttempts: 4, Logger: quiet}
	if zero {
		hp.Schedule = func() backoff.BackOff { return &backoff.ZeroBackOff{} }
	}
	fb := retrypolicy.NewBuilder[any]().WithMaxAttempts(4)
	if !zero {
		fb = fb.WithBackoff(100*time.Millisecond, 10*time.Second)
	}
	fp := failsafe.With[any](fb.Build())
	avastDelay := []avast.Option{avast.Attempts(4)}
	if zero {
		avastDelay = append(avastDelay, avast.Delay(0), avast.DelayType(avast.FixedDelay))
	}
	return []contender{
		{"by-hand", func(ctx context.Context, op func(context.Context) error) error {
			var err error
			for range 4 {
				if err = op(ctx); err == nil {
					return nil
				}
			}
			return err
		}},
		{"harden", func(ctx context.Context, op func(context.Context) error) error {
			return retry.Do(ctx, hp, op)
		}},
		{"backoff", func(ctx context.Context, op func(context.Context) error) error {
			var s backoff.BackOff = &backoff.ZeroBackOff{}
			if !zero {
				s = backoff.NewExponentialBackOff()
			}
			return backoff.Retry(func() error { return op(ctx) },
				backoff.WithContext(backoff.WithMaxRetries(s, 3), ctx))
		}},
		{"avast", func(ctx context.Context, op func(context.Context) error) error {
			return avast.Do(func() error { return op(ctx) }, append(avastDelay, avast.Context(ctx))...)
		}},
		{"sethvargo", func(ctx context.Context, op func(context.Context) error) error {
			var s sethvargo.Backoff = sethvargo.BackoffFunc(func() (time.Duration, bool) { return 0, false })
			if !zero {
				s = sethvargo.NewExponential(100 * time.Millisecond)
			}
			return sethvargo.Do(ctx, sethvargo.WithMaxRetries(3, s), op)
		}},
		{"failsafe", func(ctx context.Context, op func(context.Context) error) error {
			return fp.WithContext(ctx).Run(func() error { return op(ctx) })
		}},
	}
}

// BenchmarkSuccess measures a call whose first attempt succeeds: the cost a
// retry wrapper adds to every healthy call.
func BenchmarkSuccess(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range contenders(false) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkErr = c.do(ctx, work)
			}
			if sinkErr != nil {
				b.Fatal(sinkErr)
			}
		})
	}
}

// BenchmarkOneFailure measures a call whose first attempt fails and second
// succeeds, with a zero delay between them: the bookkeeping of a retry
// (classification, schedule, timer, telemetry) without any waiting.
// go-retry only retries errors marked with RetryableError, so its operation
// marks the failure; the others retry any error.
func BenchmarkOneFailure(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range contenders(true) {
		wrap := same
		if c.name == "sethvargo" {
			wrap = sethvargo.RetryableError
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkErr = c.do(ctx, flaky(wrap))
			}
			if sinkErr != nil {
				b.Fatal(sinkErr)
			}
		})
	}
}
