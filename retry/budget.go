package retry

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Default budget options.
const (
	DefaultBudgetRatio        = 0.1
	DefaultBudgetMinPerSecond = 1.0
	DefaultBudgetBurst        = 10
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
	// Burst is the most retries the budget holds. A Budget starts full, and
	// a full one lets Burst retries through at the start of an outage before
	// Ratio and MinPerSecond limit them. The default is 10.
	Burst int
	// Clock is read when a retry asks the budget, to credit MinPerSecond;
	// nil means the system clock.
	Clock Clock
}

// tokenScale is the fixed-point scale of the token count: one retry costs
// tokenScale, so a Ratio as small as 1e-6 still earns something.
const tokenScale = 1_000_000

// Budget limits retries across every call that shares it, so that a failing
// dependency gets a trickle of retries rather than a storm that multiplies
// its load by MaxAttempts. It is a token bucket, like gRPC's retry
// throttling and Finagle's retry budget: every first attempt is let through
// and earns Ratio of a token; each retry spends a whole token and is refused
// (ReasonBudget) when there is none; MinPerSecond tokens are also earned
// every second; the bucket holds at most Burst.
//
// Attach one Budget to the policies of every caller of the same dependency
// (Policy.Budget). Recording a first attempt reads no clock and, once the
// bucket is full, writes nothing, so a healthy service pays almost nothing
// for its budget.
//
// The zero Budget has the default options. A nil *Budget allows every
// retry. A Budget is safe for concurrent use and must not be copied after
// first use.
type Budget struct {
	opts BudgetOptions
	once sync.Once

	// Set once by setup.
	capacity int64   // in tokens × tokenScale
	earn     int64   // per first attempt, in tokens × tokenScale
	perSec   float64 // in tokens × tokenScale per second
	clock    Clock

	tokens atomic.Int64 // in tokens × tokenScale

	mu   sync.Mutex
	last time.Time // when MinPerSecond was last credited
}

// NewBudget returns a Budget with the given options; nil means the
// defaults. The budget starts full.
func NewBudget(opts *BudgetOptions) *Budget {
	b := &Budget{}
	if opts != nil {
		b.opts = *opts
	}
	b.once.Do(b.setup)
	return b
}

func (b *Budget) setup() {
	o := b.opts
	burst := o.Burst
	if burst <= 0 {
		burst = DefaultBudgetBurst
	}
	b.capacity = int64(min(burst, math.MaxInt64/tokenScale)) * tokenScale
	b.earn = scaleTokens(o.Ratio, DefaultBudgetRatio, b.capacity)
	b.perSec = float64(scaleTokens(o.MinPerSecond, DefaultBudgetMinPerSecond, math.MaxInt64))
	b.clock = clockOr(o.Clock)
	b.tokens.Store(b.capacity)
	if b.perSec > 0 {
		b.last = b.clock.Now()
	}
}

// scaleTokens turns a per-event token count into fixed point: 0 or NaN
// means def, a negative value means none, and the result is at most limit.
func scaleTokens(v, def float64, limit int64) int64 {
	if v == 0 || math.IsNaN(v) {
		v = def
	}
	if v <= 0 {
		return 0
	}
	f := v * tokenScale
	if f >= float64(limit) {
		return limit
	}
	return int64(math.Round(f))
}

// recordFirst credits a first attempt. It reads no clock, and does not
// write when the bucket is already full.
func (b *Budget) recordFirst() {
	b.once.Do(b.setup)
	if b.earn == 0 {
		return
	}
	b.add(b.earn)
}

// allowRetry spends a token for one retry, reporting false when there is
// none.
func (b *Budget) allowRetry() bool {
	b.once.Do(b.setup)
	b.credit()
	for {
		cur := b.tokens.Load()
		if cur < tokenScale {
			return false
		}
		if b.tokens.CompareAndSwap(cur, cur-tokenScale) {
			return true
		}
	}
}

// Available returns how many retries the budget would allow now. A nil
// Budget allows any number: it returns math.MaxInt.
func (b *Budget) Available() int {
	if b == nil {
		return math.MaxInt
	}
	b.once.Do(b.setup)
	b.credit()
	return int(b.tokens.Load() / tokenScale)
}

// add adds n to the tokens, up to capacity.
func (b *Budget) add(n int64) {
	for {
		cur := b.tokens.Load()
		if cur >= b.capacity {
			return
		}
		next := b.capacity
		if n < b.capacity-cur {
			next = cur + n
		}
		if b.tokens.CompareAndSwap(cur, next) {
			return
		}
	}
}

// credit adds the MinPerSecond tokens earned since it last ran.
func (b *Budget) credit() {
	if b.perSec == 0 {
		return
	}
	b.mu.Lock()
	now := b.clock.Now()
	elapsed := now.Sub(b.last)
	earned := elapsed.Seconds() * b.perSec
	if earned < 1 {
		// Leave last where it is so that short intervals add up rather
		// than each rounding down to nothing.
		b.mu.Unlock()
		return
	}
	b.last = now
	b.mu.Unlock()
	if earned >= float64(b.capacity) {
		b.add(b.capacity)
		return
	}
	b.add(int64(earned))
}
