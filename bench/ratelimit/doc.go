// Package ratelimitbench measures github.com/hardenkit/harden/ratelimit's
// Allow on its memory store against go-chi/httprate, sethvargo/go-limiter,
// throttled/throttled/v2 and ulule/limiter/v3 on their memory stores, and
// its Redis store against go-redis/redis_rate/v10, each deciding for the
// same keys under the same limit.
package ratelimitbench
