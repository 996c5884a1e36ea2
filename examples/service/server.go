package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hardenkit/harden/health"
	"github.com/hardenkit/harden/logx"
	"github.com/hardenkit/harden/result"
)

// maxHeaderBytes bounds the request line and headers. net/http's default is
// 1 MiB; an API of short URLs and a few headers needs far less.
const maxHeaderBytes = 32 << 10

// serve runs the service until ctx ends or SIGTERM/SIGINT arrives, then shuts
// it down gracefully. It returns nil after a clean shutdown.
func serve(ctx context.Context, cfg config, logger *slog.Logger, version string, banner io.Writer) error {
	depURL := cfg.DependencyURL
	if depURL == "" {
		url, stop, err := startStandIn(ctx, cfg, logger)
		if err != nil {
			return err
		}
		// Deferred first, so it runs last: requests still in flight during
		// the API's shutdown may need it.
		defer stop()
		depURL = url
	}
	quotas := newQuotaClient(depURL, cfg.DependencyTimeout, quotaPolicy(cfg.DependencyTimeout, logger))
	defer quotas.CloseIdleConnections()

	repo := newMemRepo()
	api, err := newProjectsAPI(repo, quotas)
	if err != nil {
		return err
	}

	checker := health.New(&health.Options{Logger: logger, ServiceID: "projects", Version: version})
	defer checker.Close()
	// Both are critical: without them the service cannot do its job, so it
	// should get no traffic. Readiness is the right probe for them (a
	// liveness failure would restart the process, which fixes neither).
	// If every replica shares the quota service, its outage takes them all
	// out of the load balancer, reads included; mark it non-critical (a
	// warning, still 200) if reads matter more than that.
	if err := checker.Add(health.Check{Name: "repository", Func: health.Ping(repo), Critical: true, Timeout: 500 * time.Millisecond}); err != nil {
		return err
	}
	if err := checker.Add(health.Check{Name: "quota-service", Func: quotas.healthCheck(), Critical: true, Timeout: time.Second}); err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           newHandler(api, checker, cfg, logger),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout, // slowloris: headers trickled in a byte at a time
		ReadTimeout:       cfg.ReadTimeout,       // the same for bodies
		WriteTimeout:      cfg.WriteTimeout,      // a handler that never finishes holds no connection forever
		IdleTimeout:       cfg.IdleTimeout,       // idle keep-alive connections are closed
		MaxHeaderBytes:    maxHeaderBytes,
		// net/http's own complaints (TLS handshakes, bad requests) as JSON
		// lines like everything else, not plain text on stderr.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen (set LISTEN_ADDR or -addr to use another address): %w", err)
	}
	addr := ln.Addr().String()
	logger.InfoContext(ctx, "listening", "addr", addr, "quota_service", depURL, "debug_routes", cfg.DebugRoutes)
	printBanner(banner, addr, cfg)

	drain := cfg.DrainDelay
	if drain == 0 {
		drain = -1 // health: negative means no delay, zero its default
	}
	// Serve owns the shutdown: on SIGTERM or SIGINT it turns readiness red,
	// keeps serving for the drain delay so load balancers stop sending
	// traffic, then lets requests in flight finish within the timeout. A
	// second signal cuts that short.
	return health.Serve(ctx, srv, ln, checker, &health.ServeOptions{
		DrainDelay:      drain,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          logger,
	})
}

// newHandler builds the service's handler: the API, the probes and, if
// configured, the debug routes, with every unmatched request answered as a
// problem; result.Recover around them all, and logx.Middleware outermost so
// that the request ID is set before anything writes a response or a log line.
func newHandler(api *projectsAPI, checker *health.Checker, cfg config, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	api.routes(mux)
	probes := checker.Handler()
	mux.Handle("GET /livez", probes)
	mux.Handle("GET /readyz", probes)
	mux.Handle("GET /readyz/{check}", probes)
	if cfg.DebugRoutes {
		debugRoutes(mux, cfg.WriteTimeout, logger)
	}
	mux.Handle("/", result.HandlerFunc(noRoute(mux)))

	return logx.Middleware(&logx.MiddlewareOptions{
		Logger: logger,
		// Probes arrive every few seconds from every load balancer; health
		// logs their status changes instead.
		SkipAccessLog: func(r *http.Request) bool {
			p := r.URL.Path
			return p == "/livez" || p == "/readyz" || strings.HasPrefix(p, "/readyz/")
		},
	})(result.Recover(mux))
}

// noRoute answers the requests no route matches, as problems like every
// other error: 405 with an Allow header when another method would match the
// path, 404 otherwise. (http.ServeMux's own answers are text/plain.)
func noRoute(mux *http.ServeMux) result.HandlerFunc {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return func(w http.ResponseWriter, r *http.Request) error {
		var allow []string
		for _, m := range methods {
			if m == r.Method {
				continue
			}
			probe := r.WithContext(r.Context()) // a shallow copy
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			return result.New(result.CodeNotFound, "no route matches this method and path")
		}
		// result's codes have no 405, so this one problem is written by
		// hand, with the type RFC 9457 reserves for "nothing more than the
		// status code": about:blank.
		w.Header().Set("Allow", strings.Join(allow, ", "))
		body, err := json.Marshal(result.Problem{
			Type:      "about:blank",
			Title:     "Method not allowed",
			Status:    http.StatusMethodNotAllowed,
			Detail:    fmt.Sprintf("this path accepts %s", strings.Join(allow, ", ")),
			Instance:  r.URL.Path,
			Code:      "METHOD_NOT_ALLOWED",
			RequestID: w.Header().Get(result.HeaderRequestID),
		})
		if err != nil {
			return result.Internal(err)
		}
		body = append(body, '\n')
		h := w.Header()
		h.Set("Content-Type", result.ContentTypeProblem)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store") // as result.WriteProblem marks its problems
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write(body)
		return nil
	}
}

// startStandIn starts the quota service's stand-in on a loopback port and
// returns its URL and a function that stops it.
func startStandIn(ctx context.Context, cfg config, logger *slog.Logger) (string, func(), error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("quota stand-in: listen: %w", err)
	}
	logger = logger.With("component", "quota-stand-in")
	srv := &http.Server{
		Handler:           newStandIn(cfg.DependencyFailureRate, logger).Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	logger.InfoContext(ctx, "quota stand-in listening", "addr", ln.Addr().String(), "failure_rate", cfg.DependencyFailureRate)
	stop := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
		}
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.WarnContext(ctx, "quota stand-in stopped with an error", "error", err)
		}
	}
	return url, stop, nil
}

// printBanner tells a person at a terminal where the service is and what to
// try. The logs carry the same address as the "listening" line.
func printBanner(w io.Writer, addr string, cfg config) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	base := "http://" + net.JoinHostPort(host, port)
	dep := "the local stand-in"
	if cfg.DependencyURL == "" {
		dep += fmt.Sprintf(", failing %g%% of calls", cfg.DependencyFailureRate*100)
	} else {
		dep = cfg.DependencyURL
	}
	stop := "readiness turns red, then requests in flight finish"
	if cfg.DrainDelay > 0 {
		stop = fmt.Sprintf("readiness turns red for %s, then requests in flight finish", cfg.DrainDelay)
	}
	fmt.Fprintf(w, `projects API listening on %[1]s (quota service: %[2]s)
Logs go to stdout as %[4]s lines. Try:

  curl -i -X POST %[1]s/projects -H 'Content-Type: application/json' \
       -d '{"name":"Apollo","slug":"apollo","owner":"ada@example.com"}'
  curl -i '%[1]s/projects?limit=10'
  curl -i %[1]s/readyz

Ctrl-C stops it gracefully: %[3]s; a second Ctrl-C cuts that short.
`, base, dep, stop, cfg.LogFormat)
}
