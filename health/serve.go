package health

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Defaults used where ServeOptions leaves a field zero. Together they stay
// within the 30 s Kubernetes gives a pod between SIGTERM and SIGKILL.
const (
	// DefaultDrainDelay is how long Serve keeps serving after Drain, so
	// load balancers stop routing to the process before it stops.
	DefaultDrainDelay = 5 * time.Second
	// DefaultShutdownTimeout is how long Serve lets requests in flight
	// finish before closing their connections.
	DefaultShutdownTimeout = 20 * time.Second
)

// ServeOptions configures Serve and ListenAndServe. A zero field means its
// default, and a nil *ServeOptions means a zero ServeOptions. A negative
// duration is an error.
type ServeOptions struct {
	// DrainDelay is how long to keep serving after Checker.Drain before
	// the listener closes. Zero means DefaultDrainDelay.
	DrainDelay time.Duration

	// ShutdownTimeout bounds http.Server.Shutdown; connections still busy
	// after it are closed. Zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	// Logger receives the shutdown's progress. Nil means slog.Default().
	Logger *slog.Logger
}

// ListenAndServe listens on srv.Addr (":http" if empty) and calls Serve.
// For TLS, wrap a listener with tls.NewListener and call Serve.
func ListenAndServe(ctx context.Context, srv *http.Server, c *Checker, opts *ServeOptions) error {
	if srv == nil {
		return errors.New("health: listen and serve: nil *http.Server")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cmp.Or(srv.Addr, ":http"))
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	return Serve(ctx, srv, ln, c, opts)
}

// Serve runs srv on ln until ctx ends, then calls c.Drain (c may be nil),
// keeps serving for the drain delay and calls srv.Shutdown with the
// shutdown timeout, closing the connections still open after it. It
// returns nil after a clean shutdown, and an error if the server fails or
// the shutdown runs out of time. Serve closes ln.
//
// Serve installs no signal handler: stop it on SIGTERM with a context
// from signal.NotifyContext, and call that context's stop function once
// the context ends (context.AfterFunc(ctx, stop)), so that a second signal
// ends the process at once.
func Serve(ctx context.Context, srv *http.Server, ln net.Listener, c *Checker, opts *ServeOptions) error {
	var o ServeOptions
	if opts != nil {
		o = *opts
	}
	if srv == nil || ln == nil || o.DrainDelay < 0 || o.ShutdownTimeout < 0 {
		if ln != nil {
			_ = ln.Close()
		}
		if srv == nil || ln == nil {
			return errors.New("health: serve: nil *http.Server or net.Listener")
		}
		return fmt.Errorf("health: serve: negative DrainDelay %v or ShutdownTimeout %v; zero means the default", o.DrainDelay, o.ShutdownTimeout)
	}
	o.DrainDelay = cmp.Or(o.DrainDelay, DefaultDrainDelay)
	o.ShutdownTimeout = cmp.Or(o.ShutdownTimeout, DefaultShutdownTimeout)
	logger := cmp.Or(o.Logger, slog.Default())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return serveErr(err)
	case <-ctx.Done():
	}
	bg := context.WithoutCancel(ctx)
	logger.LogAttrs(bg, slog.LevelInfo, "health: shutting down",
		slog.String("reason", context.Cause(ctx).Error()), slog.String("addr", ln.Addr().String()),
		slog.Duration("drain_delay", o.DrainDelay), slog.Duration("shutdown_timeout", o.ShutdownTimeout))
	if c != nil {
		c.Drain()
	}
	t := time.NewTimer(o.DrainDelay)
	select {
	case <-t.C:
	case err := <-served:
		t.Stop()
		return serveErr(err)
	}

	sctx, cancel := context.WithTimeout(bg, o.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		<-served //hardenvet:ignore errcheck http.ErrServerClosed: Shutdown's error is the one to report
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("health: shutdown: requests still running after the %v shutdown timeout; their connections were closed: %w", o.ShutdownTimeout, err)
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
