package ratelimit_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hardenkit/harden/ratelimit"
	"github.com/hardenkit/harden/ratelimit/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, ratelimit.NewMemoryStore(0))
}

// TestMemoryStoreGCRA follows one key through its burst, a refill and
// expiry on the fake clock, where every answer is exact.
func TestMemoryStoreGCRA(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := ratelimit.NewMemoryStore(0)
		l := ratelimit.PerMinute(5) // one every 12s
		allow := func() ratelimit.Decision {
			d, err := s.Allow(context.Background(), "login", "k", l)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		for i := range 5 {
			want := ratelimit.Decision{Allowed: true, Remaining: 4 - i, ResetAfter: time.Duration(i+1) * 12 * time.Second}
			if got := allow(); got != want {
				t.Fatalf("request %d: got %+v, want %+v", i+1, got, want)
			}
		}
		want := ratelimit.Decision{RetryAfter: 12 * time.Second, ResetAfter: time.Minute}
		if got := allow(); got != want {
			t.Fatalf("request 6: got %+v, want %+v", got, want)
		}
		time.Sleep(11 * time.Second)
		if got := allow(); got.Allowed || got.RetryAfter != time.Second {
			t.Fatalf("after 11s: got %+v, want refused for 1s more", got)
		}
		time.Sleep(time.Second)
		want = ratelimit.Decision{Allowed: true, ResetAfter: time.Minute}
		if got := allow(); got != want {
			t.Fatalf("after 12s: got %+v, want %+v", got, want)
		}
		time.Sleep(time.Hour) // idle: expired, a whole burst again
		want = ratelimit.Decision{Allowed: true, Remaining: 4, ResetAfter: 12 * time.Second}
		if got := allow(); got != want {
			t.Fatalf("after an idle hour: got %+v, want %+v", got, want)
		}
	})
}

// TestMemoryStoreBound floods a store with a million distinct keys and
// checks it keeps no more than its bound, in keys and in bytes.
func TestMemoryStoreBound(t *testing.T) {
	const bound = 10_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := ratelimit.NewMemoryStore(bound)
	for i := range 1_000_000 {
		if _, err := s.Allow(context.Background(), "flood", strconv.Itoa(i), ratelimit.PerMinute(5)); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := s.Len(); n > bound {
		t.Errorf("after a million keys the store holds %d, want at most %d", n, bound)
	}
	// 50 bytes a key is the documented figure; allow twice that.
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 100*bound {
		t.Errorf("the heap grew by %d bytes, want at most %d", grew, 100*bound)
	}
	runtime.KeepAlive(s)
}

// TestMemoryStoreEviction checks that a full store makes room from the keys
// that used least of their limit: a flood of one-request keys does not
// reset a key that has used its whole burst.
func TestMemoryStoreEviction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := ratelimit.NewMemoryStore(320) // 10 a shard
		l := ratelimit.PerMinute(5)
		for range 5 {
			s.Allow(ctx, "api", "heavy", l)
		}
		for i := range 100_000 {
			s.Allow(ctx, "api", strconv.Itoa(i), l)
		}
		if n := s.Len(); n > 320 {
			t.Fatalf("store holds %d keys, want at most 320", n)
		}
		if d, _ := s.Allow(ctx, "api", "heavy", l); d.Allowed {
			t.Errorf("the exhausted key was evicted by the flood: %+v", d)
		}

	})
}

func BenchmarkMemoryStore(b *testing.B) {
	s := ratelimit.NewMemoryStore(0)
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	l := ratelimit.PerSecond(100)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Allow(ctx, "api", keys[i%len(keys)], l)
		i++
	}
}
