package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// A Limit allows Rate requests each Period per key, and up to Burst of them
// at once. Requests are spaced by Period/Rate on average (the emission
// interval); a key that has been idle can make Burst requests back to back.
// A Burst of 0 means Rate, so PerMinute(5) allows five requests at once and
// then one every 12 seconds.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// PerSecond returns a Limit of n requests a second.
func PerSecond(n int) Limit { return Limit{Rate: n, Period: time.Second} }

// PerMinute returns a Limit of n requests a minute.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute} }

// PerHour returns a Limit of n requests an hour.
func PerHour(n int) Limit { return Limit{Rate: n, Period: time.Hour} }

// maxTolerance bounds Burst × interval, so that a key's state fits in a
// float64 of microseconds (as the Redis store keeps it) with room to spare.
const maxTolerance = 10 * 365 * 24 * time.Hour

// Interval returns the emission interval, Period/Rate: the time one
// request's share of the limit takes to come back.
func (l Limit) Interval() time.Duration {
	if l.Rate <= 0 {
		return 0
	}
	return l.Period / time.Duration(l.Rate)
}

// BurstSize returns the number of requests an idle key may make at once:
// Burst, or Rate when Burst is 0.
func (l Limit) BurstSize() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// Validate reports what is wrong with l, or nil. A Limit needs a positive
// Rate and Period, an emission interval of at least a microsecond, and a
// Burst that is not negative and refills within ten years.
func (l Limit) Validate() error {
	var err error
	switch t := l.Interval(); {
	case l.Rate <= 0:
		err = errors.New("rate is not positive")
	case l.Period <= 0:
		err = errors.New("period is not positive")
	case t < time.Microsecond:
		err = errors.New("more than one request a microsecond")
	case l.Burst < 0:
		err = errors.New("burst is negative")
	case time.Duration(l.BurstSize()) > maxTolerance/t:
		err = errors.New("burst takes more than ten years to refill")
	}
	if err != nil {
		return fmt.Errorf("ratelimit: limit %d per %v burst %d: %w", l.Rate, l.Period, l.Burst, err)
	}
	return nil
}

// A Decision is the answer for one request.
type Decision struct {
	// Allowed reports whether the request may go ahead.
	Allowed bool
	// Remaining is how many more requests the key may make at once.
	Remaining int
	// RetryAfter is how long a refused key must wait before its next
	// request is allowed; 0 when Allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the key has its whole burst again.
	ResetAfter time.Duration
}

// decide applies the generic cell rate algorithm (GCRA) to one request made
// at now by a key whose theoretical arrival time is tat (both in Unix
// nanoseconds; tat is 0 for a key with no state). It returns the key's new
// tat, which the store keeps only when the request is allowed. The Redis
// store runs the same steps in Lua, in microseconds.
func (l Limit) decide(tat, now int64) (int64, Decision) {
	t := int64(l.Interval())
	tat = max(tat, now)
	next := tat + t
	allowAt := next - t*int64(l.BurstSize())
	if now < allowAt {
		return tat, Decision{RetryAfter: time.Duration(allowAt - now), ResetAfter: time.Duration(tat - now)}
	}
	return next, Decision{Allowed: true, Remaining: int((now - allowAt) / t), ResetAfter: time.Duration(next - now)}
}
