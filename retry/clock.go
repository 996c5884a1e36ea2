package retry

import "time"

// Clock tells the time and makes timers for a Policy or a Budget. A nil Clock
// means the system clock (package time), which testing/synctest can also
// drive. Tests inject their own to run retries with long delays in
// microseconds and to see exactly which delays were chosen.
//
// A Clock must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a Timer that fires once, after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a single-shot timer made by a Clock, as time.Timer is.
type Timer interface {
	// C returns the channel on which the time is delivered when the timer fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing, as time.Timer's Stop does.
	Stop() bool
}

// systemClock is the Clock of package time.
type systemClock struct{}

// Now implements Clock.
func (systemClock) Now() time.Time { return time.Now() }

// NewTimer implements Clock.
func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

// C implements Timer.
func (t systemTimer) C() <-chan time.Time { return t.t.C }

// Stop implements Timer.
func (t systemTimer) Stop() bool { return t.t.Stop() }

var (
	_ Clock = systemClock{}
	_ Timer = systemTimer{}
)

// clockOr returns c, or the system clock when c is nil.
func clockOr(c Clock) Clock {
	if c == nil {
		return systemClock{}
	}
	return c
}
