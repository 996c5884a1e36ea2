package secure

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/hardenkit/harden/result"
)

// DefaultCSP is the Content-Security-Policy the middleware sets unless
// Options replaces it.
const DefaultCSP = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Options configures Middleware. A nil *Options, and every zero field, means
// the default.
type Options struct {
	// ContentSecurityPolicy replaces DefaultCSP.
	ContentSecurityPolicy string
	// TrustedOrigins may send state-changing requests from another origin,
	// each as "scheme://host[:port]", such as "https://app.example.com".
	TrustedOrigins []string
	// Logger receives configuration errors. Nil means slog.Default().
	Logger *slog.Logger
}

// Middleware returns middleware that sets the security headers and refuses
// cross-origin state-changing requests with a FORBIDDEN problem (403).
//
// A malformed trusted origin is a configuration error: it is logged once,
// and every request is answered with a 500 problem, so that the
// mistake cannot go unnoticed or open a hole.
func Middleware(opts *Options) func(http.Handler) http.Handler {
	if opts == nil {
		opts = &Options{}
	}
	csp := opts.ContentSecurityPolicy
	if csp == "" {
		csp = DefaultCSP
	}
	cop := http.NewCrossOriginProtection()
	var bad error
	for _, o := range opts.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil && bad == nil {
			bad = fmt.Errorf("secure: trusted origin: %w", err)
			logger := opts.Logger
			if logger == nil {
				logger = slog.Default()
			}
			logger.Error("secure: bad configuration", "err", bad)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			if r.TLS != nil {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			if bad != nil {
				result.WriteProblem(w, r, result.Internal(bad))
				return
			}
			if err := cop.Check(r); err != nil {
				result.WriteProblem(w, r, result.Forbidden("cross_origin").WithMessage("cross-origin request refused").WithCause(err))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
