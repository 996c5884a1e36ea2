// Package health provides liveness, readiness and startup endpoints for
// HTTP services, backed by checks that are timed, run concurrently,
// shared between concurrent probes and cached, and a graceful shutdown
// that takes the process out of load balancing before it stops.
//
// A health endpoint that pings the database on every probe, hangs when
// the database hangs, or stays green during shutdown does more harm than
// none. This package is built so that it cannot do any of those.
//
//	c := health.New(nil)
//	defer c.Close()
//	c.Add(health.Check{Name: "db", Func: health.Ping(db), Critical: true})
//	mux.Handle("/livez", c.Handler())
//	mux.Handle("/readyz", c.Handler())
//	mux.Handle("/readyz/", c.Handler())
//	err := health.ListenAndServe(ctx, &http.Server{Addr: ":8080", Handler: mux}, c, nil)
//
// # Probes
//
// Every check belongs to one or more probes (Readiness unless it says
// otherwise):
//
//   - Liveness (/livez): is the process stuck beyond repair? A failure
//     gets it restarted, so only checks of the process itself belong here.
//   - Readiness (/readyz, also /healthz): should it receive traffic?
//     Dependencies belong here. Drain fails it on purpose.
//   - Startup (/startupz): has it finished starting? It passes once every
//     critical startup check has passed once, and then for good.
//
// A check that has no result yet counts as passing for liveness (a
// process is not restarted for a check that has not reported) and as
// failing for readiness and startup (a process is not ready until
// proven). A check that passed turns red only after FailureThreshold
// consecutive failures.
//
// A failing critical check makes its probe fail, served as 503; a
// failing non-critical check makes it warn, still served as 200.
// Checks are non-critical unless marked Critical.
//
// # Runs, timeouts and the cache
//
// A probe runs the checks whose results are older than the cache TTL (1
// s by default), concurrently, and waits for them; a result, failures
// included, is then served to every probe until it expires, so
// thousands of probes a second reach the dependency about once a
// second. A check never has more than one run in flight: probes arriving
// during a run wait for that run rather than starting another. No lock
// is held while a check runs.
//
// Each run gets a context that ends after the check's timeout. A timer
// records the timeout as a failure when it expires, whether or not the
// check returns, so a check that ignores its context cannot hold a probe
// longer than its timeout. Its goroutine is left to finish on its own,
// and until it does the check is not started again: each probe that
// would have run it reports "previous run still running" instead. So a
// hung dependency costs one goroutine per check, however many probes
// arrive.
//
// A check with an Interval runs in the background from Add until Close,
// and probes only read its last result; use it for checks too expensive
// to run on demand. A panic in a check is recovered, logged with its
// stack and counted as a failure.
//
// # Responses
//
// Bodies are application/health+json in the shape of the IETF draft
// "Health Check Response Format for HTTP APIs", one measurement per
// check under "<name>:responseTime":
//
//	{
//	  "status": "warn",
//	  "checks": {
//	    "cache:responseTime": [{"status": "warn", "time": "2030-01-02T03:04:05.120Z",
//	                            "observedValue": 1.204, "observedUnit": "ms", "output": "check failed"}],
//	    "db:responseTime":    [{"status": "pass", "time": "2030-01-02T03:04:05.119Z",
//	                            "observedValue": 0.318, "observedUnit": "ms"}]
//	  }
//	}
//
// A client that prefers text/plain in its Accept header, or that names
// no JSON or text type and asks for ?verbose, gets the text form
// Kubernetes components serve:
//
//	[+]db ok
//	[-]cache failed: reason withheld
//	readyz check failed
//
// which shrinks to "ok" when everything passes and verbose is not asked
// for. ?exclude=<name> leaves a check out. The error a check returns is
// logged in full but withheld from responses, which say "check failed",
// unless Options.ShowDetails allows it for the request; the package's own
// reasons, such as "timed out after 1s", are always shown.
//
// An answer that has not changed is written from a rendered copy, so a
// cached probe costs about as much as writing its bytes.
//
// # Status changes
//
// When a check changes status, the change is logged once (not once per
// probe) and passed to the functions registered with Subscribe. Metrics
// go through OpenTelemetry: the gauge health.check.status (1 passing, 0
// not) and the histogram health.check.duration in seconds, both
// attributed with health.check.name; they cost nothing until an SDK is
// installed.
//
// # Shutdown
//
// Serve and ListenAndServe run an *http.Server until SIGTERM, SIGINT or
// the end of a context, then call Drain, so readiness fails at once with
// "shutting down" while liveness stays green; keep serving for a drain
// delay (5 s by default) so load balancers see the failure and stop
// sending traffic; and call Shutdown, letting requests in flight finish
// within a timeout (20 s by default). A second signal cuts the delay or
// the shutdown short.
//
// # Ready-made checks
//
// Ping checks anything with PingContext, such as *sql.DB; HTTPGet
// expects a status from a URL; TCPDial opens a connection. None imports
// a driver.
package health
