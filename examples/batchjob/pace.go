package main

import (
	"context"
	"time"
)

// maxCatchUp is how far a pacer that fell behind (a slow call, a long retry)
// may run ahead of its rate to catch up. It absorbs sleeps that overshoot
// (timers are coarse) without letting a stall turn into a burst.
const maxCatchUp = 50 * time.Millisecond

// pacer spaces records out to at most a given rate, so a job does not send
// its dependency more than that however fast the dependency answers.
// The zero pacer does not wait.
type pacer struct {
	interval time.Duration
	next     time.Time
}

// newPacer returns a pacer for perSecond records a second; 0 means no limit.
func newPacer(perSecond float64) *pacer {
	if perSecond <= 0 {
		return &pacer{}
	}
	return &pacer{interval: time.Duration(float64(time.Second) / perSecond)}
}

// wait returns when the next record may start, or when ctx ends.
func (p *pacer) wait(ctx context.Context, now time.Time) error {
	if p.interval == 0 {
		return nil
	}
	if p.next.Before(now.Add(-maxCatchUp)) {
		p.next = now
	}
	d := p.next.Sub(now)
	p.next = p.next.Add(p.interval)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
