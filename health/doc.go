// Package health provides liveness, readiness and startup endpoints for
// HTTP services, backed by checks that are timed, run concurrently,
// shared between concurrent probes and cached, and a graceful shutdown
// that takes the process out of load balancing before it stops.
//
//	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
//	defer stop()
//	context.AfterFunc(ctx, stop) // a second signal ends the process at once
//
//	c := health.New(nil)
//	defer c.Close()
//	c.Add(health.Check{Name: "db", Func: health.Ping(db), Critical: true})
//	mux.Handle("/livez", c.Handler())
//	mux.Handle("/readyz", c.Handler())
//	err := health.ListenAndServe(ctx, &http.Server{Addr: ":8080", Handler: mux}, c, nil)
//
// # Probes
//
// Each check belongs to Liveness (is the process stuck beyond repair?),
// Readiness (should it get traffic?) or Startup (has it finished
// starting?), or to several. A check with no result yet counts as
// passing for liveness and as failing for readiness and startup; startup
// passes for good once its checks have passed once. A failing critical
// check fails its probe (503); a failing non-critical one makes it warn
// (200). A passing check turns red only after FailureThreshold
// consecutive failures.
//
// # Runs, timeouts and the cache
//
// A probe runs the checks whose results are older than the cache TTL (1 s
// by default), concurrently, and waits for them; a result, failures
// included, then serves every probe until it expires. Probes arriving
// during a run wait for that run rather than start another. Each run's
// context ends after the check's timeout, and a timer records the timeout
// as a failure whether or not the check returns, so a check that ignores
// its context cannot hold a probe longer than its timeout. Until such a
// check returns it is not started again, so a hung dependency costs one
// goroutine however many probes arrive. A panic in a check is a failure.
//
// # Responses
//
// Bodies are application/health+json in the shape of the IETF draft
// "Health Check Response Format for HTTP APIs", or the Kubernetes text
// form ("[+]db ok") for a client that asks for text/plain. The error a
// check returns is logged in full but withheld from responses unless
// Options.ShowDetails allows it for the request.
//
// # Status changes and metrics
//
// A status change is logged once and passed to the functions registered
// with Subscribe. Metrics go to OpenTelemetry.
//
// # Shutdown
//
// When its context ends, Serve calls Drain, so readiness fails while
// liveness stays green, keeps serving for a drain delay (5 s by default)
// so load balancers notice, then shuts the server down, letting requests
// in flight finish within a timeout (20 s by default).
package health
