package ratelimitbench

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSameCounts checks that every contender allows exactly the limit per
// key, for independent keys, when 50 clients send 20 requests each for
// five keys at once: the benchmarks compare limiters that limit.
func TestSameCounts(t *testing.T) {
	t.Run("memory", func(t *testing.T) { sameCounts(t, memoryContenders(t, 7)) })
	t.Run("redis", func(t *testing.T) { sameCounts(t, redisContenders(t, 7)) })
}

func sameCounts(t *testing.T, cs []contender) {
	defer closeAll(cs)
	for _, c := range cs {
		var allowed [5]atomic.Int64
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				for range 20 {
					k := i % 5
					if c.allow(context.Background(), "same-"+strconv.Itoa(k)) {
						allowed[k].Add(1)
					}
				}
			})
		}
		wg.Wait()
		for k := range allowed {
			if n := allowed[k].Load(); n != 7 {
				t.Errorf("%s: key %d allowed %d of 200 requests, want 7", c.name, k, n)
			}
		}
	}
}
