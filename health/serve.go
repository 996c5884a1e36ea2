package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Defaults used where ServeOptions leaves a field zero. Together they
// stay within the 30 s Kubernetes gives a pod between SIGTERM and
// SIGKILL (terminationGracePeriodSeconds).
const (
	// DefaultDrainDelay is how long Serve keeps serving after Drain, so
	// load balancers and endpoint controllers stop routing to the
	// process before its listener closes.
	DefaultDrainDelay = 5 * time.Second
	// DefaultShutdownTimeout is how long Serve lets in-flight requests
	// finish before closing their connections.
	DefaultShutdownTimeout = 20 * time.Second
)

// ServeOptions configures Serve and ListenAndServe. A nil *ServeOptions
// or a zero ServeOptions means: stop on SIGTERM or SIGINT, drain for
// DefaultDrainDelay, then shut down within DefaultShutdownTimeout,
// logging to slog.Default().
type ServeOptions struct {
	// DrainDelay is how long to keep serving after Checker.Drain before
	// the listener closes. Zero means DefaultDrainDelay; a negative
	// value means no delay.
	DrainDelay time.Duration

	// ShutdownTimeout bounds http.Server.Shutdown; connections still
	// busy after it are closed. Zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	// Signals start a shutdown, as the end of the context does; a
	// second one during the drain delay or the shutdown cuts it short.
	// When the context ends first, it takes two signals to cut the
	// shutdown short, so that a context from signal.NotifyContext on the
	// same signals does not make one signal count twice.
	// Nil means SIGTERM and SIGINT. An empty, non-nil slice means no
	// signals: only the context stops the server.
	Signals []os.Signal

	// Logger receives the shutdown's progress. Nil means slog.Default().
	Logger *slog.Logger
}

// ListenAndServe listens on srv.Addr (":http" if empty) and calls Serve.
// TLS is left to the caller: wrap a listener with tls.NewListener and
// call Serve.
func ListenAndServe(ctx context.Context, srv *http.Server, c *Checker, opts *ServeOptions) error {
	if srv == nil {
		return errors.New("health: listen and serve: nil *http.Server")
	}
	addr := srv.Addr
	if addr == "" {
		addr = ":http"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	return Serve(ctx, srv, ln, c, opts)
}

// Serve runs srv on ln until ctx ends or a shutdown signal arrives, then
// shuts down gracefully: it calls c.Drain so readiness fails while
// liveness stays green, keeps serving for the drain delay so load
// balancers notice, and calls srv.Shutdown with the shutdown timeout,
// closing the connections still open after it. It returns nil after a
// clean shutdown, and an error if the server fails or the shutdown runs
// out of time. c may be nil, to get the graceful shutdown alone. Serve
// closes ln.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, c *Checker, opts *ServeOptions) error {
	if srv == nil || ln == nil {
		if ln != nil {
			_ = ln.Close()
		}
		return errors.New("health: serve: nil *http.Server or net.Listener")
	}
	if opts == nil {
		opts = &ServeOptions{}
	}
	delay := opts.DrainDelay
	if delay == 0 {
		delay = DefaultDrainDelay
	}
	timeout := opts.ShutdownTimeout
	if timeout <= 0 {
		timeout = DefaultShutdownTimeout
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	sigs := opts.Signals
	if sigs == nil {
		sigs = []os.Signal{syscall.SIGTERM, os.Interrupt}
	}
	// A nil channel never delivers: with no signals only ctx stops us.
	var sigc chan os.Signal
	if len(sigs) > 0 {
		sigc = make(chan os.Signal, 2)
		signal.Notify(sigc, sigs...)
		defer signal.Stop(sigc)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	// signals counts the shutdown signals received; the second cuts the
	// shutdown short. A shutdown started by ctx has seen none yet: when
	// ctx comes from signal.NotifyContext on the same signals, the first
	// one to arrive here is the very signal that ended ctx, not a second.
	signals := 0
	var reason string
	select {
	case err := <-served:
		return serveErr(err)
	case <-ctx.Done():
		reason = "context done: " + context.Cause(ctx).Error()
	case s := <-sigc:
		signals = 1
		reason = "signal " + s.String()
	}
	// ctx may be over; the shutdown still needs a context for its logs
	// and its own deadline.
	bg := context.WithoutCancel(ctx)
	logger.InfoContext(bg, "health: shutting down", "reason", reason,
		"drain_delay", max(delay, 0), "shutdown_timeout", timeout, "addr", ln.Addr().String())
	if c != nil {
		c.Drain()
	}
	// secondSignal reports whether s is the one that cuts the shutdown short.
	secondSignal := func(s os.Signal) bool {
		signals++
		if signals < 2 {
			logger.InfoContext(bg, "health: signal received while shutting down", "signal", s.String())
			return false
		}
		return true
	}
	if delay > 0 {
		t := time.NewTimer(delay)
	drain:
		for {
			select {
			case <-t.C:
				break drain
			case s := <-sigc:
				if secondSignal(s) {
					logger.WarnContext(bg, "health: second signal, skipping the rest of the drain delay", "signal", s.String())
					break drain
				}
			case err := <-served:
				t.Stop()
				return serveErr(err)
			}
		}
		t.Stop()
	}

	sctx, cancel := context.WithTimeout(bg, timeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	var err error
wait:
	for {
		select {
		case err = <-shut:
			break wait
		case s := <-sigc:
			if secondSignal(s) {
				logger.WarnContext(bg, "health: second signal, closing open connections", "signal", s.String())
				_ = srv.Close()
				<-shut
				err = fmt.Errorf("connections closed by signal %v", s)
				break wait
			}
		}
	}
	if err != nil {
		_ = srv.Close()
		<-served
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("health: shutdown: requests still running after the %v shutdown timeout; their connections were closed: %w", timeout, err)
		}
		return fmt.Errorf("health: shutdown: %w", err)
	}
	if err := serveErr(<-served); err != nil {
		return err
	}
	logger.InfoContext(bg, "health: server stopped")
	return nil
}

// serveErr maps http.Server.Serve's return to Serve's: the error a
// shutdown makes Serve return is not a failure.
func serveErr(err error) error {
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("health: serve: %w", err)
}
