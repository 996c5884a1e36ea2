package retry

import (
	"cmp"
	"math"
	"sync"
	"time"
)

// BudgetOptions configures a Budget. A nil *BudgetOptions, and any zero
// field, means the default.
type BudgetOptions struct {
	// Ratio is how many retries each first attempt earns. The default, 0.1,
	// lets one call in ten be retried once while a dependency is failing, so
	// retries add at most about 10% to its load. A negative Ratio earns none.
	Ratio float64
	// MinPerSecond is how many retries the budget earns each second
	// whatever the traffic, so that a client with little traffic can still
	// retry. The default is 1. A negative MinPerSecond earns none.
	MinPerSecond float64
	// Burst is the most retries the budget holds (at most math.MaxInt32).
	// A Budget starts full, so Burst retries get through at the start of an
	// outage before Ratio and MinPerSecond limit them. The default is 10.
	Burst int
}

// Budget limits retries across every call that shares it, so that a failing
// dependency gets a trickle of retries rather than a storm. It is a token
// bucket, like gRPC's retry throttling: every first attempt is let through
// and earns Ratio of a token; each retry spends a whole token and is
// refused (ReasonBudget) when there is none; MinPerSecond tokens are earned
// each second; the bucket holds at most Burst.
//
// Attach one Budget to the policies of every caller of a dependency. The
// zero Budget has the default options. A Budget is safe for concurrent use
// and must not be copied after first use.
type Budget struct {
	opts BudgetOptions

	mu        sync.Mutex
	ready     bool
	earn      int64   // per first attempt
	perSecond float64 // earned each second
	capacity  int64
	tokens    int64
	last      time.Time // when perSecond was last credited
}

// Tokens are counted in millionths of a retry, so that earnings add up
// exactly: ten first attempts at Ratio 0.1 earn one retry.
const tokenScale = 1_000_000

// NewBudget returns a full Budget with the given options; nil means the
// defaults.
func NewBudget(opts *BudgetOptions) *Budget {
	b := &Budget{}
	if opts != nil {
		b.opts = *opts
	}
	return b
}

// setup applies the options on first use; b.mu must be held.
func (b *Budget) setup() {
	if b.ready {
		return
	}
	b.capacity = int64(min(cmp.Or(max(b.opts.Burst, 0), 10), math.MaxInt32)) * tokenScale
	b.earn = int64(min(scaled(b.opts.Ratio, 0.1), float64(b.capacity)))
	b.perSecond = min(scaled(b.opts.MinPerSecond, 1), math.MaxFloat64)
	b.tokens, b.last, b.ready = b.capacity, time.Now(), true
}

// scaled returns v (def if v is 0 or NaN, 0 if negative) in tokenScale units.
func scaled(v, def float64) float64 {
	if v == 0 || math.IsNaN(v) {
		v = def
	}
	return math.Round(max(v, 0) * tokenScale)
}

// refill credits the MinPerSecond tokens earned since it last ran; b.mu
// must be held.
func (b *Budget) refill() {
	b.setup()
	now := time.Now()
	earned := now.Sub(b.last).Seconds() * b.perSecond
	if earned < 1 {
		return // leave last, so that short intervals add up
	}
	b.tokens = min(b.tokens+int64(min(earned, float64(b.capacity))), b.capacity)
	b.last = now
}

// recordFirst credits a first attempt. It reads no clock.
func (b *Budget) recordFirst() {
	b.mu.Lock()
	b.setup()
	b.tokens = min(b.tokens+b.earn, b.capacity)
	b.mu.Unlock()
}

// allowRetry spends a token, reporting false when there is none.
func (b *Budget) allowRetry() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if b.tokens < tokenScale {
		return false
	}
	b.tokens -= tokenScale
	return true
}

// Available returns how many retries the budget would allow now. A nil
// Budget allows any number: it returns math.MaxInt.
func (b *Budget) Available() int {
	if b == nil {
		return math.MaxInt
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return int(b.tokens / tokenScale)
}
