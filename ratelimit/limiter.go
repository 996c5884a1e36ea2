package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hardenkit/harden/result"
)

// Options configures a Limiter. A nil *Options, and every zero field, means
// the default.
type Options struct {
	// Store keeps the keys' state. Nil means a MemoryStore of
	// DefaultMaxKeys keys for this Limiter alone.
	Store Store
	// Key returns the key a request counts against. Nil means the client's
	// IP address (ClientIP with TrustedProxies), with IPv6 addresses cut to
	// their /64, the block one host usually holds. An error refuses the
	// request: a *result.Error is written as its problem, any other error
	// as a 500.
	Key func(*http.Request) (string, error)
	// TrustedProxies are the peers whose Forwarded and X-Forwarded-For
	// headers the default Key believes. Nil trusts no one.
	TrustedProxies []netip.Prefix
	// Name names the policy in the RateLimit headers and in the store:
	// Limiters sharing a Store and a Name share their counts, so give each
	// route's Limiter its own. Printable ASCII; the default is "default".
	Name string
	// FailOpen lets requests through when the store fails; by default they
	// are refused with a 503.
	FailOpen bool
	// Logger receives store failures and Key errors that are not a
	// *result.Error, at most one line a second. Nil means slog.Default().
	Logger *slog.Logger
}

// A Limiter applies one Limit to the keys of one policy. It is safe for
// concurrent use. Create one with New; the zero Limiter is not usable.
type Limiter struct {
	limit    Limit
	opts     Options
	policy   string // the RateLimit-Policy field value
	err      error  // what is wrong with the limit or the name
	lastLog  atomic.Int64
	failures atomic.Int64 // store failures since the last log line
}

// New returns a Limiter that applies limit under opts. A bad limit or name
// is not reported here: every Allow returns it, and Handler answers 503.
func New(limit Limit, opts *Options) *Limiter {
	l := &Limiter{limit: limit}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.Store == nil {
		l.opts.Store = NewMemoryStore(0)
	}
	if l.opts.Name == "" {
		l.opts.Name = "default"
	}
	if l.opts.Logger == nil {
		l.opts.Logger = slog.Default()
	}
	l.err = limit.Validate()
	for _, c := range []byte(l.opts.Name) {
		if c < 0x20 || c > 0x7e {
			l.err = fmt.Errorf("ratelimit: name %q: not printable ASCII", l.opts.Name)
		}
	}
	if l.err == nil {
		// The policy is quota units per window: the burst and the time
		// it takes to refill, as the client sees the limit.
		window := time.Duration(limit.BurstSize()) * limit.Interval()
		l.policy = strconv.Quote(l.opts.Name) + ";q=" + strconv.Itoa(limit.BurstSize()) + ";w=" + strconv.FormatInt(seconds(window), 10)
	}
	return l
}

// Allow counts one request against key and reports whether it may go
// ahead. When the store fails, Allow logs the failure and returns it with
// a Decision whose Allowed is Options.FailOpen; with a bad limit or name it
// returns that error and Allowed false.
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	if l.err != nil {
		return Decision{}, l.err
	}
	d, err := l.opts.Store.Allow(ctx, l.opts.Name, key, l.limit)
	if err != nil {
		err = fmt.Errorf("ratelimit: %s: %w", l.opts.Name, err)
		l.logFailure(ctx, err)
		return Decision{Allowed: l.opts.FailOpen}, err
	}
	return d, nil
}

// logFailure logs err unless a line was logged in the last second, so that
// an outage does not flood the logs; the line counts the failures since the
// last one.
func (l *Limiter) logFailure(ctx context.Context, err error) {
	n := l.failures.Add(1)
	now := time.Now().UnixNano()
	last := l.lastLog.Load()
	if now-last < int64(time.Second) || !l.lastLog.CompareAndSwap(last, now) {
		return
	}
	l.failures.Add(-n)
	l.opts.Logger.WarnContext(ctx, "rate limit failed", "policy", l.opts.Name, "fail_open", l.opts.FailOpen, "failures", n, "err", err)
}

// Handler returns a handler that counts each request against its key and
// calls next only if the request is allowed. Every answer carries the
// RateLimit-Policy and RateLimit fields; a refused request gets a
// RATE_LIMITED problem (429) with Retry-After, and one the store could not
// decide gets an UNAVAILABLE problem (503), unless Options.FailOpen.
func (l *Limiter) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := l.key(r)
		if err != nil {
			if _, ok := errors.AsType[*result.Error](err); !ok {
				l.logFailure(r.Context(), err)
				err = result.Internal(err)
			}
			result.WriteProblem(w, r, err)
			return
		}
		d, err := l.Allow(r.Context(), key)
		if err == nil {
			h := w.Header()
			h.Set("RateLimit-Policy", l.policy)
			h.Set("RateLimit", strconv.Quote(l.opts.Name)+";r="+strconv.Itoa(d.Remaining)+";t="+strconv.FormatInt(seconds(d.ResetAfter), 10))
		}
		switch {
		case d.Allowed:
			next.ServeHTTP(w, r)
		case err != nil:
			result.WriteProblem(w, r, result.Unavailable("", time.Second).WithCause(err))
		default:
			result.WriteProblem(w, r, result.RateLimited(d.RetryAfter))
		}
	})
}

// key returns the request's key under Options.Key or the default.
func (l *Limiter) key(r *http.Request) (string, error) {
	if l.opts.Key != nil {
		return l.opts.Key(r)
	}
	a, err := ClientIP(r, l.opts.TrustedProxies)
	if err != nil {
		return "", err
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String(), nil
	}
	return a.String(), nil
}

// seconds rounds d up to whole seconds, as the headers count them.
func seconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
