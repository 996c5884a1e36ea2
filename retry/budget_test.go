package retry

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/hardenkit/harden/result"
)

func TestBudgetStartsFullAndEmpties(t *testing.T) {
	b := NewBudget(&BudgetOptions{Burst: 3, MinPerSecond: -1})
	if got := b.Available(); got != 3 {
		t.Fatalf("Available = %d, want 3", got)
	}
	for i := range 3 {
		if !b.allowRetry() {
			t.Fatalf("retry %d refused by a full budget", i+1)
		}
	}
	if b.allowRetry() {
		t.Error("an empty budget allowed a retry")
	}
	if got := b.Available(); got != 0 {
		t.Errorf("Available = %d, want 0", got)
	}
}

func TestBudgetRatio(t *testing.T) {
	b := NewBudget(&BudgetOptions{Ratio: 0.25, Burst: 2, MinPerSecond: -1})
	b.allowRetry()
	b.allowRetry()
	for i := range 3 {
		b.recordFirst()
		if b.allowRetry() {
			t.Fatalf("a retry was allowed after %d first attempts at ratio 0.25", i+1)
		}
	}
	b.recordFirst()
	if !b.allowRetry() {
		t.Error("four first attempts at ratio 0.25 did not earn a retry")
	}
	for range 100 {
		b.recordFirst()
	}
	if got := b.Available(); got != 2 {
		t.Errorf("Available = %d after many first attempts, want Burst 2", got)
	}
}

func TestBudgetMinPerSecond(t *testing.T) {
	synctest.Test(t, testBudgetMinPerSecond)
}

func testBudgetMinPerSecond(t *testing.T) {
	b := NewBudget(&BudgetOptions{Ratio: -1, MinPerSecond: 2, Burst: 5})
	for b.allowRetry() {
	}
	time.Sleep(1500 * time.Millisecond)
	if got := b.Available(); got != 3 {
		t.Errorf("Available = %d after 1.5s at 2/s, want 3", got)
	}
	// Short intervals add up instead of each rounding down to nothing.
	for range 4 {
		time.Sleep(100 * time.Millisecond)
		b.Available()
	}
	if got := b.Available(); got != 3 {
		t.Errorf("Available = %d after 0.4s more, want 3 (3.8 tokens)", got)
	}
	time.Sleep(100 * time.Millisecond)
	if got := b.Available(); got != 4 {
		t.Errorf("Available = %d after 2s at 2/s, want 4", got)
	}
	time.Sleep(time.Hour)
	if got := b.Available(); got != 5 {
		t.Errorf("Available = %d after an hour, want Burst 5", got)
	}
	b.recordFirst() // Ratio -1 earns nothing
	for range 5 {
		b.allowRetry()
	}
	if got := b.Available(); got != 0 {
		t.Errorf("Available = %d, want 0", got)
	}
}

func TestBudgetDefaults(t *testing.T) {
	for name, b := range map[string]*Budget{"zero": {}, "nil options": NewBudget(nil), "NaN": NewBudget(&BudgetOptions{Ratio: math.NaN(), MinPerSecond: math.NaN()})} {
		if got := b.Available(); got != 10 {
			t.Errorf("%s: Available = %d, want the default burst 10", name, got)
		}
		if b.earn != 0.1*tokenScale || b.perSecond != 1*tokenScale {
			t.Errorf("%s: earn %d, perSecond %v; want the defaults 0.1 and 1", name, b.earn, b.perSecond)
		}
	}
	var nilBudget *Budget
	if got := nilBudget.Available(); got != math.MaxInt {
		t.Errorf("nil Budget: Available = %d, want MaxInt", got)
	}
	huge := NewBudget(&BudgetOptions{Ratio: math.Inf(1), MinPerSecond: math.Inf(1), Burst: math.MaxInt})
	huge.allowRetry()
	huge.recordFirst()
	if huge.Available() <= 0 {
		t.Error("a budget with infinite options allowed nothing")
	}
}

func TestBudgetConcurrent(t *testing.T) {
	b := NewBudget(&BudgetOptions{Ratio: 0.5, Burst: 50, MinPerSecond: -1})
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 8 {
		wg.Go(func() {
			n := 0
			for range 1000 {
				b.recordFirst()
				if b.allowRetry() {
					n++
				}
			}
			mu.Lock()
			allowed += n
			mu.Unlock()
		})
	}
	wg.Wait()
	// 50 to start with plus 0.5 per first attempt, less what is left; a
	// deposit into a full bucket is lost, so a little less is possible.
	left := b.Available()
	if left < 0 || left > 50 || allowed+left > 4050 || allowed+left < 3900 {
		t.Errorf("allowed %d retries with %d left, want a sum just under 4050", allowed, left)
	}
}

// TestBudgetStopsStorm runs many calls against a dependency that always
// fails: the budget keeps the retries to Burst plus Ratio of the calls.
func TestBudgetStopsStorm(t *testing.T) {
	b := NewBudget(&BudgetOptions{Ratio: 0.1, Burst: 5, MinPerSecond: -1})
	p := quietPolicy()
	p.Budget = b
	p.Schedule = func() backoff.BackOff { return &backoff.ZeroBackOff{} }
	attempts, budgetStops := 0, 0
	const calls = 100
	for range calls {
		err := Do(context.Background(), p, func(context.Context) error {
			attempts++
			return result.Unavailable("", 0)
		})
		if asError(t, err).Reason == ReasonBudget {
			budgetStops++
		}
	}
	retries := attempts - calls
	if retries > 5+10 || retries < 10 {
		t.Errorf("%d retries for %d failing calls, want at most 15 (Burst 5 + 10%%)", retries, calls)
	}
	if budgetStops < calls-15 {
		t.Errorf("%d calls stopped by the budget, want at least %d", budgetStops, calls-15)
	}
}
