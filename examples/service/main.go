// Service is a small JSON API for "projects", hardened with harden: typed
// errors answered as problem+json, validated input, JSON logs with request
// IDs, a retried dependency, health probes and a graceful shutdown. Copy it
// as a template; README.md says what each part shows and how to see it.
//
// This file is the whole start-up, in order: configuration, logger,
// dependency, storage, health checks, routes and middleware, server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"github.com/hardenkit/harden/health"
	"github.com/hardenkit/harden/logx"
	"github.com/hardenkit/harden/ratelimit"
	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/secure"
)

// The server's limits. net/http has no timeouts by default: one slow client
// (slowloris) could hold a connection forever.
const (
	readHeaderTimeout = 5 * time.Second  // headers trickled in a byte at a time
	readTimeout       = 10 * time.Second // the same for bodies
	writeTimeout      = 30 * time.Second // a handler that never finishes
	idleTimeout       = 60 * time.Second // idle keep-alive connections
	maxHeaderBytes    = 32 << 10         // net/http's default is 1 MiB
)

func main() {
	// SIGTERM or Ctrl-C ends ctx, which starts the graceful shutdown. Once
	// it has, stop restores the default handling, so a second signal ends
	// the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the program with its inputs and outputs as parameters, so tests can
// call it. It returns the exit status: 0 after a clean shutdown, 1 if the
// service failed, 2 for a bad configuration. Logs go to stdout; messages for
// the person who started it go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2 // parseConfig has said why
	}
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	logger := logx.New(stdout, &logx.Options{Format: cfg.LogFormat, Level: cfg.LogLevel, Service: "projects", Version: version})

	if err := serve(ctx, cfg, logger, version, stderr); err != nil {
		logger.ErrorContext(ctx, "service stopped", "error", err)
		fmt.Fprintln(stderr, "service:", err)
		return 1
	}
	logger.InfoContext(ctx, "service stopped")
	return 0
}

// serve builds the service and runs it until ctx ends, then shuts it down
// gracefully. It returns nil after a clean shutdown.
func serve(ctx context.Context, cfg config, logger *slog.Logger, version string, stderr io.Writer) error {
	// The one dependency: a quota service, or its stand-in on loopback.
	depURL := cfg.DependencyURL
	if depURL == "" {
		url, stop, err := startStandIn(ctx, cfg.DependencyFailureRate, logger)
		if err != nil {
			return err
		}
		defer stop() // deferred first, so it stops last: requests in flight need it
		depURL = url
	}
	quotas := newQuotaClient(depURL, cfg.DependencyTimeout, logger)
	defer quotas.CloseIdleConnections()

	// Storage: in memory here; a database behind the same interface.
	repo := newMemRepo()

	// Readiness checks both: without them the service cannot do its job.
	// (A liveness failure would restart the process, which fixes neither.)
	checker := health.New(&health.Options{Logger: logger, ServiceID: "projects", Version: version})
	defer checker.Close()
	err := errors.Join(
		checker.Add(health.Check{Name: "repository", Func: health.Ping(repo), Critical: true, Timeout: 500 * time.Millisecond}),
		checker.Add(health.Check{Name: "quota-service", Func: quotas.healthCheck(), Critical: true}))
	if err != nil {
		return err
	}

	api, err := newProjectsAPI(repo, quotas)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newHandler(api, checker, cfg.DebugRoutes, logger),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn), // net/http's complaints as JSON too
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen (set -listen-addr or LISTEN_ADDR to use another address): %w", err)
	}
	logger.InfoContext(ctx, "listening", "addr", ln.Addr().String(), "quota_service", depURL, "debug_routes", cfg.DebugRoutes)
	fmt.Fprintf(stderr, banner, "http://"+ln.Addr().String())

	// When ctx ends (see main), Serve turns readiness red, keeps serving for
	// the drain delay so load balancers stop sending traffic, then lets
	// requests in flight finish within the shutdown timeout.
	return health.Serve(ctx, srv, ln, checker, &health.ServeOptions{
		DrainDelay:      cfg.ShutdownDrainDelay,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          logger,
	})
}

// newHandler routes the API, the probes and, if asked for, the debug routes,
// and wraps them in the service's middleware. Middleware is composed here and
// nowhere else.
func newHandler(api *projectsAPI, checker *health.Checker, debugRoutes bool, logger *slog.Logger) http.Handler {
	// One limit per route, per client IP: writes are dearer than reads. (With
	// several replicas, give both a ratelimit/redisstore Store to share.)
	writes := ratelimit.New(ratelimit.PerMinute(30), &ratelimit.Options{Name: "create-project", Logger: logger})
	reads := ratelimit.New(ratelimit.PerSecond(20), &ratelimit.Options{Name: "read-projects", Logger: logger})
	handle := func(l *ratelimit.Limiter, f result.HandlerFunc) http.Handler {
		return l.Handler(f.WithLogger(logger)) // errors as problems; 5xx logged
	}
	mux := http.NewServeMux()
	mux.Handle("POST /projects", handle(writes, api.create))
	mux.Handle("GET /projects", handle(reads, api.list))
	mux.Handle("GET /projects/{id}", handle(reads, api.get))
	probes := checker.Handler()
	for _, p := range probePaths {
		mux.Handle("GET "+p, probes)
	}
	if debugRoutes {
		addDebugRoutes(mux, logger)
	}

	// Innermost first: the mux's own 404 and 405 as problems; security
	// headers and refusal of cross-origin writes from browsers; panics as
	// 500 problems; and the request ID and access log outermost, so every
	// response and log line carries the ID.
	h := result.Mux(mux)
	h = secure.Middleware(nil)(h)
	h = result.Recover(h, logger)
	h = logx.Middleware(&logx.MiddlewareOptions{
		Logger: logger,
		// Probes come every few seconds; health logs their changes instead.
		SkipAccessLog: func(r *http.Request) bool { return slices.Contains(probePaths, r.URL.Path) },
	})(h)
	return h
}

// probePaths are the health probes, as Kubernetes names them; /healthz is
// readiness under its older name.
var probePaths = []string{"/livez", "/readyz", "/healthz", "/startupz"}

const banner = `projects API on %[1]s, logs on stdout. Try:
  curl -i %[1]s/projects -H 'Content-Type: application/json' -d '{"name":"Apollo","slug":"apollo","owner":"ada@example.com"}'
  curl -i '%[1]s/projects?limit=10'
  curl -i %[1]s/readyz
Ctrl-C stops it gracefully; a second Ctrl-C stops it at once.
`
