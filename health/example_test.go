package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hardenkit/harden/health"
)

// quiet keeps the examples' logs out of their output; a service would
// leave Options.Logger nil to log through slog.Default().
var quiet = slog.New(slog.DiscardHandler)

// get sends one request to h and prints the status code and body.
func get(h http.Handler, target, accept string) {
	req := httptest.NewRequest("GET", target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Printf("%s %d\n%s\n", target, rec.Code, strings.TrimSuffix(rec.Body.String(), "\n"))
}

// fakeDB stands in for a *sql.DB.
type fakeDB struct{ err error }

func (db fakeDB) PingContext(context.Context) error { return db.err }

func ExampleNew() {
	c := health.New(&health.Options{
		Timeout:  500 * time.Millisecond, // per check, unless the check says otherwise
		CacheTTL: 2 * time.Second,        // probes within 2 s share a result
		Logger:   quiet,
	})
	defer c.Close()
	_ = c.Add(health.Check{Name: "db", Func: health.Ping(fakeDB{}), Critical: true})

	r, _ := c.Report(context.Background(), health.Readiness)
	fmt.Println(r.Status)
	// Output: pass
}

func ExampleChecker_Add() {
	c := health.New(&health.Options{Logger: quiet})
	defer c.Close()

	// A dependency the service cannot work without: readiness fails with it.
	err := c.Add(health.Check{Name: "db", Func: health.Ping(fakeDB{}), Critical: true})
	fmt.Println(err)
	// A dependency it can do without: readiness warns, still 200.
	_ = c.Add(health.Check{Name: "cache", Func: health.Ping(fakeDB{err: errors.New("refused")})})
	// A check of the process itself, for liveness only, run in the
	// background every 10 s rather than by probes.
	_ = c.Add(health.Check{
		Name:     "event-loop",
		Probes:   health.Liveness,
		Interval: 10 * time.Second,
		Critical: true,
		Func:     func(context.Context) error { return nil },
	})
	// Mistakes are reported, not panicked on.
	fmt.Println(c.Add(health.Check{Name: "db", Func: health.Ping(fakeDB{})}))

	r, _ := c.Report(context.Background(), health.Readiness)
	fmt.Println(r.Status)
	// Output:
	// <nil>
	// health: add check "db": name already registered
	// warn
}

func ExampleChecker_Handler() {
	c := health.New(&health.Options{Logger: quiet})
	defer c.Close()
	_ = c.Add(health.Check{Name: "db", Func: health.Ping(fakeDB{}), Critical: true})
	_ = c.Add(health.Check{Name: "search", Func: health.Ping(fakeDB{err: errors.New("10.0.0.9:9200 refused")}), Critical: true})

	mux := http.NewServeMux()
	h := c.Handler()
	mux.Handle("/livez", h)
	mux.Handle("/readyz", h)
	mux.Handle("/readyz/", h) // /readyz/<check name>

	get(mux, "/livez", "text/plain")
	get(mux, "/readyz", "text/plain")
	get(mux, "/readyz/db", "text/plain")
	get(mux, "/readyz?exclude=search&verbose", "text/plain")

	// The default body is application/health+json.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var body struct {
		Status string
		Checks map[string][]struct{ Status, Output, ObservedUnit string }
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	fmt.Println(rec.Header().Get("Content-Type"), body.Status, body.Checks["search:responseTime"][0])
	// Output:
	// /livez 200
	// ok
	// /readyz 503
	// [+]db ok
	// [-]search failed: reason withheld
	// readyz check failed
	// /readyz/db 200
	// ok
	// /readyz?exclude=search&verbose 200
	// [+]db ok
	// [+]search excluded: ok
	// readyz check passed
	// application/health+json fail {fail check failed ms}
}

func ExampleOptions_showDetails() {
	c := health.New(&health.Options{
		Logger: quiet,
		// Operators calling from the machine itself see error texts.
		ShowDetails: func(r *http.Request) bool {
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			ip := net.ParseIP(host)
			return ip != nil && ip.IsLoopback()
		},
	})
	defer c.Close()
	_ = c.Add(health.Check{Name: "db", Func: health.Ping(fakeDB{err: errors.New("too many connections")}), Critical: true})

	for _, remote := range []string{"203.0.113.5:4711", "127.0.0.1:4711"} {
		req := httptest.NewRequest("GET", "/readyz", nil)
		req.RemoteAddr = remote
		req.Header.Set("Accept", "text/plain")
		rec := httptest.NewRecorder()
		c.Handler().ServeHTTP(rec, req)
		fmt.Print(rec.Body.String())
	}
	// Output:
	// [-]db failed: reason withheld
	// readyz check failed
	// [-]db failed: health: ping: too many connections
	// readyz check failed
}

func ExampleChecker_Drain() {
	c := health.New(&health.Options{Logger: quiet})
	defer c.Close()
	_ = c.Add(health.Check{Name: "db", Func: health.Ping(fakeDB{}), Critical: true})

	c.Drain() // shutdown has begun
	get(c.Handler(), "/readyz", "text/plain")
	get(c.Handler(), "/livez", "text/plain")
	// Output:
	// /readyz 503
	// [+]db ok
	// [-]shutdown failed: shutting down
	// readyz check failed
	// /livez 200
	// ok
}

func ExampleChecker_Report() {
	c := health.New(&health.Options{Logger: quiet, FailureThreshold: 3})
	defer c.Close()
	_ = c.Add(health.Check{
		Name:     "db",
		Func:     health.Ping(fakeDB{err: errors.New("refused")}),
		Critical: true,
		Probes:   health.Liveness | health.Readiness,
	})

	for _, p := range []health.Probe{health.Liveness, health.Readiness} {
		r, _ := c.Report(context.Background(), p)
		cr := r.Checks[0]
		fmt.Printf("%v: %s (%s; %d failure)\n", p, r.Status, cr.Reason, cr.ConsecutiveFailures)
	}
	// Output:
	// liveness: pass (; 1 failure)
	// readiness: fail (not passed yet (1 of 3 failures); 1 failure)
}

func ExampleChecker_Subscribe() {
	c := health.New(&health.Options{Logger: quiet})
	defer c.Close()
	changed := make(chan health.Change, 1)
	stop := c.Subscribe(func(ch health.Change) { changed <- ch })
	defer stop()

	_ = c.Add(health.Check{Name: "db", Func: health.Ping(fakeDB{err: errors.New("refused")}), Critical: true})
	_, _ = c.Report(context.Background(), health.Readiness)

	ch := <-changed
	fmt.Printf("%s: %q -> %s: %v\n", ch.Check, ch.From, ch.To, ch.Err)
	// Output: db: "" -> fail: health: ping: refused
}

func ExampleChecker_Close() {
	c := health.New(&health.Options{Logger: quiet})
	ran := make(chan struct{}, 1)
	_ = c.Add(health.Check{
		Name:     "disk",
		Interval: time.Minute, // runs now, then every minute, until Close
		Func: func(context.Context) error {
			select {
			case ran <- struct{}{}:
			default:
			}
			return nil
		},
	})
	<-ran
	c.Close()
	fmt.Println(c.Add(health.Check{Name: "late", Func: health.Ping(fakeDB{})}))
	// Output: health: add check "late": checker closed
}

func ExampleServe() {
	c := health.New(&health.Options{Logger: quiet})
	defer c.Close()
	mux := http.NewServeMux()
	mux.Handle("/readyz", c.Handler())

	ln, err := net.Listen("tcp", "127.0.0.1:0") // a real service: ":8080"
	if err != nil {
		fmt.Println(err)
		return
	}
	// A service passes a context from signal.NotifyContext (see
	// ListenAndServe); here the example ends it by hand.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() {
		done <- health.Serve(ctx, &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln, c,
			&health.ServeOptions{DrainDelay: 10 * time.Millisecond, Logger: quiet})
	}()

	resp, err := http.Get("http://" + ln.Addr().String() + "/readyz")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println("serving:", resp.StatusCode)
	http.DefaultClient.CloseIdleConnections()

	stop()
	fmt.Println("stopped:", <-done, "draining:", c.Draining())
	// Output:
	// serving: 200
	// stopped: <nil> draining: true
}

func ExampleListenAndServe() {
	// SIGTERM or SIGINT ends ctx; once it has, a second signal ends the
	// process at once.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	context.AfterFunc(ctx, stop)

	c := health.New(nil)
	defer c.Close()
	srv := &http.Server{Addr: ":8080", Handler: c.Handler(), ReadHeaderTimeout: 5 * time.Second}
	// Serves until ctx ends, then drains for 5 s and shuts down within 20 s.
	if err := health.ListenAndServe(ctx, srv, c, nil); err != nil {
		slog.Error("server", "error", err)
		os.Exit(1)
	}
}

func ExamplePing() {
	// db would be a *sql.DB; anything with PingContext will do.
	var db health.Pinger = fakeDB{}
	check := health.Check{Name: "postgres", Func: health.Ping(db), Critical: true, Timeout: 300 * time.Millisecond}
	fmt.Println(check.Func(context.Background()))
	// Output: <nil>
}

func ExampleHTTPGet() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer upstream.Close()

	ok := health.HTTPGet(upstream.Client(), upstream.URL+"/ping", http.StatusNoContent)
	strict := health.HTTPGet(upstream.Client(), upstream.URL+"/ping", http.StatusOK)
	fmt.Println(ok(context.Background()))
	fmt.Println(strings.Replace(strict(context.Background()).Error(), upstream.URL, "http://upstream", 1))
	// Output:
	// <nil>
	// health: GET http://upstream/ping: status 204, want 200
}

func ExampleTCPDial() {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // stands in for a broker
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() {
		if conn, err := ln.Accept(); err == nil {
			conn.Close()
		}
	}()
	fmt.Println(health.TCPDial(ln.Addr().String())(context.Background()))
	// Output: <nil>
}
