// Service is a small JSON API for "projects", written the way a prototype
// should be hardened before real users depend on it. Copy it as a template.
//
// Run it with nothing installed and nothing configured:
//
//	go run ./examples/service
//
// It listens on 127.0.0.1:8080, prints a curl line to try, and writes JSON
// logs to stdout. Its endpoints:
//
//	POST /projects          create: {"name": "Apollo", "slug": "apollo", "owner": "ada@example.com", "status": "draft"}
//	GET  /projects/{id}     fetch one
//	GET  /projects          list, oldest first: ?limit=1..100 (default 20) &cursor=<next_cursor of the previous page>
//	GET  /livez, /readyz    liveness and readiness, on the same port
//
// # What it shows
//
//   - Every error is an RFC 9457 problem (application/problem+json) with a
//     stable code and the request ID; handlers return errors
//     (result.HandlerFunc), and a panic becomes a 500 problem with the stack
//     in the logs, never in the response.
//   - Request bodies are decoded with validate.DecodeJSON: the wrong content
//     type is 415, more than 16 KiB is 413, unknown members and broken rules
//     are one 400 listing each violation at its JSON Pointer. Query
//     parameters get the same treatment.
//   - Logs are JSON lines (logx.New) in which every line of a request,
//     the access line included, carries its request_id, which is also the
//     X-Request-ID response header; a valid incoming X-Request-ID is kept,
//     anything else replaced.
//   - POST /projects asks a quota service how many projects the owner may
//     have, through an http.Client whose transport is logx.Transport over
//     retry.Transport: the request ID travels with the call, 503s and
//     connection errors are retried with backoff and Retry-After under a
//     retry budget, and the client has a timeout. Its failures reach the
//     client as problems through result.FromResponse. Unless DEPENDENCY_URL
//     is set, a stand-in for the quota service runs in the same process on
//     its own loopback port and fails 30% of calls, so retries show up in
//     the logs from the first request.
//   - /readyz checks the repository and the quota service (health.Checker);
//     on SIGTERM or SIGINT, health.Serve turns readiness red first, keeps
//     serving while load balancers notice, then lets requests in flight
//     finish. The server has read-header, read, write and idle timeouts and
//     a header size limit.
//   - Configuration comes from environment variables and flags (a flag wins),
//     is validated at start-up, and a bad value stops the program with exit
//     status 2 and a message naming the setting:
//     "config: DEPENDENCY_FAILURE_RATE=1.7: must be between 0 and 1".
//     Run it with -h for the list.
//
// The projects live in memory (repo.go), behind the Repository interface a
// database-backed store would implement.
//
// # Files
//
//	main.go        start-up: configuration, logger, exit status
//	config.go      settings from the environment and flags, validated
//	server.go      the HTTP server, routes, health checks and shutdown
//	projects.go    the API's handlers
//	repo.go        the Repository interface and its in-memory store
//	dependency.go  the quota service's client and its local stand-in
//	debug.go       routes that panic or run slowly, for tests (DEBUG_ROUTES)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/hardenkit/harden/logx"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is the whole program, with its inputs and outputs as parameters so
// tests can call it: it returns the exit status, 0 after a clean shutdown,
// 1 if the service failed and 2 for a bad configuration. Logs go to stdout;
// messages for the person who started it go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := loadConfig(args, getenv, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2 // the flag package has said why
	case err != nil:
		fmt.Fprintln(stderr, err)
		return 2
	}

	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	logger := logx.New(stdout, &logx.Options{
		Format:  cfg.LogFormat,
		Level:   cfg.LogLevel,
		Service: "projects",
		Version: version,
	})
	// result logs recovered panics and 5xx errors through slog.Default(),
	// and retry and health default to it too: one logger for everything.
	slog.SetDefault(logger)

	if err := serve(ctx, cfg, logger, version, stderr); err != nil {
		logger.ErrorContext(ctx, "service stopped", "error", err)
		fmt.Fprintln(stderr, "service:", err)
		return 1
	}
	logger.InfoContext(ctx, "service stopped")
	return 0
}
