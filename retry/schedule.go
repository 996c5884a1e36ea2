package retry

import (
	"cmp"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// newSchedule returns a fresh schedule for one call.
func (p *Policy) newSchedule() backoff.BackOff {
	if p.Schedule != nil {
		if b := p.Schedule(); b != nil {
			b.Reset()
			return b
		}
		return newFullJitter(DefaultInitialDelay, DefaultMaxDelay, DefaultMultiplier)
	}
	maxDelay := cmp.Or(p.MaxDelay, max(DefaultMaxDelay, p.InitialDelay))
	initial := cmp.Or(p.InitialDelay, min(DefaultInitialDelay, maxDelay))
	return newFullJitter(initial, maxDelay, cmp.Or(p.Multiplier, DefaultMultiplier))
}

// fullJitter is the default schedule: each delay is drawn uniformly from
// [0, ceiling), and the ceiling grows from initial by multiplier up to max.
// Because the cap applies before the draw, no delay exceeds max, and clients
// that failed together spread out instead of retrying in step. It is used by
// one retry loop only.
type fullJitter struct {
	initial, max time.Duration
	multiplier   float64
	ceiling      time.Duration // of the next delay
}

var _ backoff.BackOff = (*fullJitter)(nil)

func newFullJitter(initial, max time.Duration, multiplier float64) *fullJitter {
	return &fullJitter{initial: initial, max: max, multiplier: multiplier, ceiling: initial}
}

// NextBackOff returns the next delay and raises the ceiling.
func (j *fullJitter) NextBackOff() time.Duration {
	c := j.ceiling
	if next := float64(c) * j.multiplier; next < float64(j.max) {
		j.ceiling = time.Duration(next)
	} else {
		j.ceiling = j.max
	}
	return rand.N(max(c, 1))
}

// Reset restarts the schedule from initial.
func (j *fullJitter) Reset() { j.ceiling = j.initial }
