package retry

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// fullJitter is the default schedule: exponential growth from InitialDelay
// by Multiplier up to MaxDelay (computed by backoff.ExponentialBackOff with
// no randomisation and no elapsed-time limit), and each delay drawn
// uniformly from [0, that ceiling] ("full jitter"). Because the cap applies
// to the ceiling before the draw, no delay ever exceeds MaxDelay, and
// clients that failed together spread out instead of retrying in step.
//
// A fullJitter is used by one retry loop only; it is not safe for
// concurrent use.
type fullJitter struct {
	exp backoff.ExponentialBackOff
	// draw returns a uniform value in [0, n); tests replace it.
	draw func(n int64) int64
}

var _ backoff.BackOff = (*fullJitter)(nil)

func newFullJitter(initial, maxDelay time.Duration, multiplier float64) *fullJitter {
	j := &fullJitter{
		exp: backoff.ExponentialBackOff{
			InitialInterval:     initial,
			RandomizationFactor: 0,
			Multiplier:          multiplier,
			MaxInterval:         maxDelay,
			MaxElapsedTime:      0, // no hidden limit: the context and MaxAttempts bound the loop
			Stop:                backoff.Stop,
			// NextBackOff reads this clock for an elapsed-time limit that
			// MaxElapsedTime 0 turns off: the reading is discarded, so the
			// wall clock here does not defeat Policy.Clock.
			Clock: backoff.SystemClock,
		},
		draw: rand.Int64N,
	}
	j.exp.Reset()
	return j
}

// NextBackOff returns the next delay: uniform in [0, ceiling], where the
// ceiling grows exponentially and is capped at MaxDelay.
func (j *fullJitter) NextBackOff() time.Duration {
	ceiling := j.exp.NextBackOff()
	if ceiling <= 0 {
		return 0
	}
	if ceiling == math.MaxInt64 {
		return time.Duration(j.draw(int64(ceiling)))
	}
	return time.Duration(j.draw(int64(ceiling) + 1))
}

// Reset restarts the schedule from InitialDelay.
func (j *fullJitter) Reset() { j.exp.Reset() }
