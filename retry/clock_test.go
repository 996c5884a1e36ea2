package retry

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeClock is a Clock for tests. In auto mode every timer fires at once and
// moves the clock forward by its duration, so a loop with long delays runs
// in microseconds while the clock still shows the time it would have taken.
// In manual mode timers fire only when Advance passes them.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	auto    bool
	delays  []time.Duration // the duration of every timer made, in order
	pending []*fakeTimer
	made    chan time.Duration // receives each new timer's duration, if set
}

func newAutoClock() *fakeClock {
	return &fakeClock{now: time.Now(), auto: true}
}

func newManualClock() *fakeClock {
	return &fakeClock{now: time.Now(), made: make(chan time.Duration, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.delays = append(c.delays, d)
	t := &fakeTimer{clock: c, c: make(chan time.Time, 1), when: c.now.Add(d)}
	if c.auto {
		c.now = t.when
		t.fired = true
		t.c <- c.now
	} else {
		c.pending = append(c.pending, t)
	}
	if c.made != nil {
		c.made <- d
	}
	return t
}

// Advance moves the clock forward by d, firing the timers that come due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.pending[:0]
	for _, t := range c.pending {
		if !t.when.After(c.now) && !t.stopped {
			t.fired = true
			t.c <- c.now
			continue
		}
		if !t.stopped {
			kept = append(kept, t)
		}
	}
	c.pending = kept
}

// Delays returns the durations of the timers made so far.
func (c *fakeClock) Delays() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.delays...)
}

// Live returns how many timers are neither fired nor stopped.
func (c *fakeClock) Live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.pending {
		if !t.fired && !t.stopped {
			n++
		}
	}
	return n
}

type fakeTimer struct {
	clock   *fakeClock
	c       chan time.Time
	when    time.Time
	fired   bool
	stopped bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	wasLive := !t.fired && !t.stopped
	t.stopped = true
	return wasLive
}

func TestSystemClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clockOr(nil)
		start := c.Now()
		tm := c.NewTimer(time.Hour)
		got := <-tm.C()
		if d := got.Sub(start); d != time.Hour {
			t.Errorf("timer fired after %v, want 1h", d)
		}
		if tm.Stop() {
			t.Error("Stop after firing = true, want false")
		}
		tm = c.NewTimer(time.Hour)
		if !tm.Stop() {
			t.Error("Stop before firing = false, want true")
		}
	})
	if c := (&fakeClock{}); clockOr(c) != c {
		t.Error("clockOr did not keep a non-nil clock")
	}
}
