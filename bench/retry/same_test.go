package retrybench

import (
	"context"
	"errors"
	"testing"

	sethvargo "github.com/sethvargo/go-retry"
)

// TestSameAttempts checks that every contender calls a succeeding
// operation once, a flaky one twice, and gives up on one that always
// fails after four attempts, so that the benchmarks compare the same work.
func TestSameAttempts(t *testing.T) {
	ctx := context.Background()
	for _, zero := range []bool{false, true} {
		for _, c := range contenders(zero) {
			wrap := same
			if c.name == "sethvargo" {
				wrap = sethvargo.RetryableError
			}
			calls := 0
			count := func(op func(context.Context) error) func(context.Context) error {
				return func(ctx context.Context) error { calls++; return op(ctx) }
			}
			if err := c.do(ctx, count(work)); err != nil || calls != 1 {
				t.Errorf("%s zero=%v: success: err %v after %d calls, want nil after 1", c.name, zero, err, calls)
			}
			calls = 0
			if err := c.do(ctx, count(flaky(wrap))); err != nil || calls != 2 {
				t.Errorf("%s zero=%v: flaky: err %v after %d calls, want nil after 2", c.name, zero, err, calls)
			}
			if !zero {
				continue // the failing case would wait for the real schedule
			}
			calls = 0
			fail := func(context.Context) error { return wrap(errBoom) }
			if err := c.do(ctx, count(fail)); !errors.Is(err, errBoom) || calls != 4 {
				t.Errorf("%s: failing: err %v after %d calls, want boom after 4", c.name, err, calls)
			}
		}
	}
}
