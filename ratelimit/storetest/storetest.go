// Package storetest holds a ratelimit.Store to the answers every store must
// give, so that the memory store and a server-backed one behave alike:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, mystore.New(client)) }
package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hardenkit/harden/ratelimit"
)

// slack is how far a store's times may stray from the exact GCRA answer:
// a server's clock moves while the test talks to it.
const slack = time.Second

// Run tests s on the real clock, in about a quarter of a second. Its policy
// names are new on every run, so it can run against a shared server.
func Run(t *testing.T, s ratelimit.Store) {
	ctx := context.Background()
	prefix := fmt.Sprintf("storetest-%d-", time.Now().UnixNano())
	allow := func(t *testing.T, name, key string, l ratelimit.Limit) ratelimit.Decision {
		t.Helper()
		d, err := s.Allow(ctx, prefix+name, key, l)
		if err != nil {
			t.Fatalf("Allow(%s, %s): %v", name, key, err)
		}
		return d
	}

	t.Run("Burst", func(t *testing.T) {
		l := ratelimit.PerHour(5) // one request every 12 minutes
		for i := range 5 {
			d := allow(t, "burst", "k", l)
			reset := time.Duration(i+1) * 12 * time.Minute
			if !d.Allowed || d.Remaining != 4-i || !near(d.ResetAfter, reset) {
				t.Fatalf("request %d: %+v, want allowed, %d remaining, reset after %v", i+1, d, 4-i, reset)
			}
		}
		d := allow(t, "burst", "k", l)
		if d.Allowed || d.Remaining != 0 || !near(d.RetryAfter, 12*time.Minute) || !near(d.ResetAfter, time.Hour) {
			t.Fatalf("request 6: %+v, want refused, retry after 12m, reset after 1h", d)
		}
	})

	t.Run("KeysAndNamesIndependent", func(t *testing.T) {
		l := ratelimit.PerHour(1)
		if d := allow(t, "indep", "a", l); !d.Allowed {
			t.Fatalf("first request of a: %+v", d)
		}
		if d := allow(t, "indep", "a", l); d.Allowed {
			t.Fatalf("second request of a: %+v, want refused", d)
		}
		if d := allow(t, "indep", "b", l); !d.Allowed {
			t.Errorf("key b after a's limit: %+v, want allowed", d)
		}
		if d := allow(t, "indep-other", "a", l); !d.Allowed {
			t.Errorf("key a under another name: %+v, want allowed", d)
		}
	})

	t.Run("Refill", func(t *testing.T) {
		l := ratelimit.Limit{Rate: 20, Period: time.Second, Burst: 2} // every 50ms
		allow(t, "refill", "k", l)
		allow(t, "refill", "k", l)
		d := allow(t, "refill", "k", l)
		if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 50*time.Millisecond {
			t.Fatalf("third request: %+v, want refused for at most 50ms", d)
		}
		time.Sleep(d.RetryAfter + 5*time.Millisecond)
		if d = allow(t, "refill", "k", l); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("after RetryAfter: %+v, want allowed, 0 remaining", d)
		}
		time.Sleep(d.ResetAfter + 5*time.Millisecond) // the key expires: a whole burst again
		if d := allow(t, "refill", "k", l); !d.Allowed || d.Remaining != 1 {
			t.Fatalf("after ResetAfter: %+v, want allowed, 1 remaining", d)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		l := ratelimit.PerHour(50)
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				for range 2 {
					d, err := s.Allow(ctx, prefix+"concurrent", "k", l)
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != 50 {
			t.Errorf("100 clients making 200 requests: %d allowed, want 50", n)
		}
	})
}

func near(got, want time.Duration) bool {
	return got > want-slack && got <= want+slack
}
