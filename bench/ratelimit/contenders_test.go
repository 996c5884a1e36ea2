package ratelimitbench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/go-redis/redis_rate/v10"
	"github.com/hardenkit/harden/ratelimit"
	"github.com/hardenkit/harden/ratelimit/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/sethvargo/go-limiter/memorystore"
	"github.com/throttled/throttled/v2"
	"github.com/throttled/throttled/v2/store/memstore"
	ulule "github.com/ulule/limiter/v3"
	ulmemory "github.com/ulule/limiter/v3/drivers/store/memory"
)

// A contender decides whether one request of key may go ahead, under a
// limit of n requests an hour per key.
type contender struct {
	name  string
	allow func(ctx context.Context, key string) bool
	close func()
}

// memoryContenders returns each library on its in-memory store, set up for
// n requests an hour per key, all of them at once for an idle key.
func memoryContenders(tb testing.TB, n int) []contender {
	h := ratelimit.New(ratelimit.PerHour(n), nil)

	// httprate has no decision without a ResponseWriter; with every header
	// name empty it sets none, as harden's Allow sets none.
	hr := httprate.NewRateLimiter(n, time.Hour, httprate.WithResponseHeaders(httprate.ResponseHeaders{}))
	w := discard{}
	r := httptest.NewRequest(http.MethodGet, "/", nil)

	sv, err := memorystore.New(&memorystore.Config{Tokens: uint64(n), Interval: time.Hour})
	if err != nil {
		tb.Fatal(err)
	}

	tstore, err := memstore.NewCtx(65536)
	if err != nil {
		tb.Fatal(err)
	}
	th, err := throttled.NewGCRARateLimiterCtx(tstore, throttled.RateQuota{MaxRate: throttled.PerHour(n), MaxBurst: n - 1})
	if err != nil {
		tb.Fatal(err)
	}

	ul := ulule.New(ulmemory.NewStore(), ulule.Rate{Period: time.Hour, Limit: int64(n)})

	return []contender{
		{name: "harden", allow: func(ctx context.Context, key string) bool {
			d, err := h.Allow(ctx, key)
			return err == nil && d.Allowed
		}},
		{name: "httprate", allow: func(ctx context.Context, key string) bool {
			return !hr.OnLimit(w, r, key)
		}},
		{name: "go-limiter", allow: func(ctx context.Context, key string) bool {
			_, _, _, ok, err := sv.Take(ctx, key)
			return err == nil && ok
		}, close: func() { sv.Close(context.Background()) }},
		{name: "throttled", allow: func(ctx context.Context, key string) bool {
			limited, _, err := th.RateLimitCtx(ctx, key, 1)
			return err == nil && !limited
		}},
		{name: "ulule", allow: func(ctx context.Context, key string) bool {
			c, err := ul.Get(ctx, key)
			return err == nil && !c.Reached
		}},
	}
}

// redisContenders returns harden's Redis store and redis_rate on one
// client of the test server, with key names of their own for this run.
func redisContenders(tb testing.TB, n int) []contender {
	addr := os.Getenv("HARDEN_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	if err := c.Ping(context.Background()).Err(); err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			tb.Fatalf("no Redis at %s: %v", addr, err)
		}
		tb.Skipf("no Redis at %s (%v): start redis-server or set HARDEN_TEST_REDIS=host:port to run this", addr, err)
	}
	prefix := "bench-" + time.Now().Format("150405.000000000") + ":"
	h := ratelimit.New(ratelimit.PerHour(n), &ratelimit.Options{
		Store: redisstore.New(c, &redisstore.Options{Prefix: prefix, Timeout: time.Second}),
	})
	rr := redis_rate.NewLimiter(c)
	limit := redis_rate.PerHour(n)
	return []contender{
		{name: "harden", allow: func(ctx context.Context, key string) bool {
			d, err := h.Allow(ctx, key)
			return err == nil && d.Allowed
		}, close: func() { c.Close() }},
		{name: "redis_rate", allow: func(ctx context.Context, key string) bool {
			res, err := rr.Allow(ctx, prefix+key, limit)
			return err == nil && res.Allowed > 0
		}},
	}
}

func closeAll(cs []contender) {
	for _, c := range cs {
		if c.close != nil {
			c.close()
		}
	}
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
