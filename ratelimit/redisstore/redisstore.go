// Package redisstore provides a ratelimit.Store on Redis, so that every
// replica of a service shares one limit per key.
//
//	store := redisstore.New(redis.NewClient(&redis.Options{Addr: "redis:6379"}), nil)
//	limiter := ratelimit.New(ratelimit.PerMinute(5), &ratelimit.Options{Store: store, Name: "login"})
//
// Each decision is one Lua script: the GCRA step of the ratelimit package,
// run atomically on the server with the server's clock (TIME), so that
// replicas whose clocks disagree still agree on the limit. A key holds its
// theoretical arrival time in whole microseconds and expires when its whole
// burst is back. It needs Redis 5 or later (or a server compatible with it),
// whose scripts replicate their effects, so a script may read the clock.
//
// A decision takes at most Options.Timeout (50ms by default). When Redis is
// down or slow, Allow returns an error in that time, and the Limiter logs it
// and follows its FailOpen option. The call it abandons ends when the
// client's own timeouts end it; give the client ContextTimeoutEnabled so
// that it ends with the decision.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hardenkit/harden/ratelimit"
	"github.com/redis/go-redis/v9"
)

// Options configures a Store. A nil *Options, and every zero field, means
// the default.
type Options struct {
	// Prefix starts every key; the key of a request is Prefix, the
	// Limiter's name, ":" and its key. The default is "ratelimit:".
	Prefix string
	// Timeout bounds each decision. The default is 50ms.
	Timeout time.Duration
}

// A Store is a ratelimit.Store on Redis. It is safe for concurrent use.
// Create one with New.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
}

var _ ratelimit.Store = (*Store)(nil)

// New returns a Store on client: a *redis.Client, a *redis.ClusterClient
// or a failover client.
func New(client redis.UniversalClient, opts *Options) *Store {
	s := &Store{client: client, prefix: "ratelimit:", timeout: 50 * time.Millisecond}
	if opts != nil && opts.Prefix != "" {
		s.prefix = opts.Prefix
	}
	if opts != nil && opts.Timeout > 0 {
		s.timeout = opts.Timeout
	}
	return s
}

// gcra is Limit's decide in Lua, in microseconds of the server's clock.
// KEYS[1] is the key, ARGV[1] the emission interval and ARGV[2] the burst.
// Times are written with %.0f: Lua's default number format would round them.
var gcra = redis.NewScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local t = tonumber(ARGV[1])
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now)
local next = tat + t
local allow_at = next - t * tonumber(ARGV[2])
if now < allow_at then
	return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', string.format('%.0f', math.ceil((next - now) / 1000)))
return {1, math.floor((now - allow_at) / t), 0, next - now}
`)

// Allow implements ratelimit.Store with one script call, answering within
// the Store's timeout whatever the client's own timeouts are.
func (s *Store) Allow(ctx context.Context, name, key string, limit ratelimit.Limit) (ratelimit.Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	type answer struct {
		v   []int64
		err error
	}
	done := make(chan answer, 1)
	go func() {
		v, err := gcra.Run(ctx, s.client, []string{s.prefix + name + ":" + key},
			limit.Interval().Microseconds(), limit.BurstSize()).Int64Slice()
		done <- answer{v, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		a.err = ctx.Err()
	}
	switch {
	case errors.Is(a.err, context.DeadlineExceeded):
		return ratelimit.Decision{}, fmt.Errorf("redisstore: no answer within %v: %w", s.timeout, a.err)
	case a.err != nil:
		return ratelimit.Decision{}, fmt.Errorf("redisstore: %w", a.err)
	case len(a.v) != 4:
		return ratelimit.Decision{}, fmt.Errorf("redisstore: script answered %v, want 4 numbers", a.v)
	}
	return ratelimit.Decision{
		Allowed:    a.v[0] == 1,
		Remaining:  int(a.v[1]),
		RetryAfter: time.Duration(a.v[2]) * time.Microsecond,
		ResetAfter: time.Duration(a.v[3]) * time.Microsecond,
	}, nil
}
