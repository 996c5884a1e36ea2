// Package ratelimit provides per-route rate limits for HTTP services: a
// Limiter per route, keyed by client address or anything a request carries,
// answering refused requests with result's RATE_LIMITED problem.
//
//	login := ratelimit.New(ratelimit.PerMinute(5), &ratelimit.Options{Name: "login"})
//	mux.Handle("POST /login", login.Handler(loginHandler))
//
// # Algorithm
//
// Every store runs the generic cell rate algorithm (GCRA): a key's state is
// one time, its theoretical arrival time, and each decision is one atomic
// read-modify-write of it. A Limit of Rate per Period spaces requests by
// Period/Rate and lets an idle key make Burst of them at once; there are no
// window edges at which a client may send twice its limit.
//
// # Stores
//
// The default MemoryStore serves one replica; it is bounded (DefaultMaxKeys
// keys, about 50 bytes each whatever their length), so a flood of spoofed
// clients cannot grow it. The nested module
// github.com/hardenkit/harden/ratelimit/redisstore keeps the state in Redis,
// so that all replicas share one limit. When a store fails, the Limiter logs
// it and follows Options.FailOpen: refuse with a 503 (the default) or let
// requests through. The package storetest holds every Store to the same
// answers.
//
// # Keys and proxies
//
// The default key is the client's IP address (an IPv6 client's /64). Only a
// peer in Options.TrustedProxies may name the client in Forwarded or
// X-Forwarded-For; from anyone else those headers are ignored, so a client
// cannot dodge its limit by inventing addresses. Options.Key keys requests by
// anything else, such as an API key or a user.
//
// # Headers
//
// Handler sets the RateLimit-Policy and RateLimit fields of the IETF httpapi
// draft draft-ietf-httpapi-ratelimit-headers-10 (Structured Fields, not the
// older RateLimit-Limit/-Remaining/-Reset trio) on every answer it decides:
//
//	RateLimit-Policy: "login";q=5;w=60
//	RateLimit: "login";r=4;t=12
//
// q is the burst and w the seconds it takes to refill; r is the requests left
// at once and t the seconds until the whole burst is back. A refused request
// gets 429 with Retry-After, in whole seconds rounded up.
package ratelimit
