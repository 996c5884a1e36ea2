package redisstore_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hardenkit/harden/ratelimit"
	"github.com/hardenkit/harden/ratelimit/redisstore"
	"github.com/hardenkit/harden/ratelimit/storetest"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client returns a client of the test server at HARDEN_TEST_REDIS
// (127.0.0.1:6379 by default). Without a server the test skips, unless
// CI=true, where it fails.
func client(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("HARDEN_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Redis at %s: %v", addr, err)
		}
		t.Skipf("no Redis at %s (%v): start redis-server or set HARDEN_TEST_REDIS=host:port to run this test", addr, err)
	}
	return c
}

// relaxed is the timeout of the tests that check answers, not speed: 100
// clients at once on a cold pool, under -race on a busy machine, can take
// longer than 50ms to connect.
var relaxed = &redisstore.Options{Timeout: 2 * time.Second}

func TestConformance(t *testing.T) {
	storetest.Run(t, redisstore.New(client(t), relaxed))
}

// TestKeyExpires checks that a key lives only until its burst is back.
func TestKeyExpires(t *testing.T) {
	c := client(t)
	s := redisstore.New(c, &redisstore.Options{Prefix: "redisstore-test:"})
	name := fmt.Sprint("expiry-", time.Now().UnixNano())
	d, err := s.Allow(context.Background(), name, "k", ratelimit.PerMinute(2))
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := c.PTTL(context.Background(), "redisstore-test:"+name+":k").Result()
	if err != nil || ttl <= 0 || ttl > d.ResetAfter+time.Millisecond {
		t.Errorf("key TTL %v (%v), want (0, %v]", ttl, err, d.ResetAfter)
	}
}

// TestReplicasShareOneLimit runs two Limiters on two clients, as two
// replicas would: together they allow the limit once, not twice.
func TestReplicasShareOneLimit(t *testing.T) {
	name := fmt.Sprint("shared-", time.Now().UnixNano())
	var limiters []*ratelimit.Limiter
	for range 2 {
		c := client(t)
		limiters = append(limiters, ratelimit.New(ratelimit.PerHour(10), &ratelimit.Options{Store: redisstore.New(c, relaxed), Name: name}))
	}
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			d, err := limiters[i%2].Allow(context.Background(), "192.0.2.1")
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if d.Allowed {
				allowed++
			}
		})
	}
	wg.Wait()
	if allowed != 10 {
		t.Errorf("two replicas allowed %d of 40 requests, want 10", allowed)
	}
}

// closedAddr returns an address where nothing listens.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentAddr returns the address of a server that accepts connections and
// never answers, as a Redis stuck in a long command or a dead network would.
func silentAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestRedisAway checks that with Redis stopped or silent every decision
// comes within a bounded time, is logged, and follows FailOpen, through
// Allow and through the handler. The bound asserted is ten times the
// store's 50ms timeout.
func TestRedisAway(t *testing.T) {
	for _, tc := range []struct{ name, addr, want string }{
		{"stopped", closedAddr(t), "redisstore: "},
		{"silent", silentAddr(t), "no answer within 50ms"},
	} {
		for _, failOpen := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/FailOpen=%v", tc.name, failOpen), func(t *testing.T) {
				c := redis.NewClient(&redis.Options{Addr: tc.addr, MaxRetries: -1})
				defer c.Close()
				var logs bytes.Buffer
				l := ratelimit.New(ratelimit.PerHour(1), &ratelimit.Options{
					Store: redisstore.New(c, nil), FailOpen: failOpen, Name: "away",
					Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				})
				start := time.Now()
				d, err := l.Allow(context.Background(), "k")
				if took := time.Since(start); took > 500*time.Millisecond {
					t.Errorf("Allow took %v, want well under 500ms", took)
				}
				if err == nil || !strings.Contains(err.Error(), tc.want) || d.Allowed != failOpen {
					t.Errorf("Allow = %+v, %v; want Allowed %v and an error with %q", d, err, failOpen, tc.want)
				}
				if !strings.Contains(logs.String(), tc.want) {
					t.Errorf("logged %q, want the failure", logs.String())
				}

				start = time.Now()
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				l.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, r)
				want := map[bool]int{false: http.StatusServiceUnavailable, true: http.StatusOK}[failOpen]
				if took := time.Since(start); w.Code != want || took > 500*time.Millisecond {
					t.Errorf("handler answered %d in %v, want %d well under 500ms", w.Code, took, want)
				}
			})
		}
	}
}
