package result

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/hardenkit/harden/internal/recorder"
)

// HandlerFunc is an HTTP handler that returns an error instead of writing one.
// Its ServeHTTP writes a returned error with WriteProblem, so a handler can end
// with `return result.NotFound("project", id)`.
//
// ServeHTTP also recovers a panic in the handler, logging its value and stack,
// and answers 500 INTERNAL; a panic with http.ErrAbortHandler, net/http's
// silent abort, is passed on. Errors with a 5xx status are logged with their
// cause, which the client never sees. If the response had already started,
// ServeHTTP logs instead of writing a second one. Lines go at level Error,
// with the request's context so correlation and trace IDs follow, to
// slog.Default(), or to the logger given to WithLogger.
type HandlerFunc func(http.ResponseWriter, *http.Request) error

// ServeHTTP calls f(w, r) and writes its error, or recovers its panic, as a
// problem response, logging through slog.Default().
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serve(w, r, f, nil)
}

// WithLogger returns f as an http.Handler that logs through logger instead of
// slog.Default(); a nil logger means slog.Default().
func (f HandlerFunc) WithLogger(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, f, logger)
	})
}

// Recover returns next wrapped so that a panic in it is recovered as
// HandlerFunc recovers one: logged with its stack through logger (nil means
// slog.Default()), and answered with a 500 INTERNAL problem unless the
// response had already started. http.ErrAbortHandler is passed on.
func Recover(next http.Handler, logger *slog.Logger) http.Handler {
	return HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		next.ServeHTTP(w, r)
		return nil
	}).WithLogger(logger)
}

func serve(w http.ResponseWriter, r *http.Request, f HandlerFunc, logger *slog.Logger) {
	if logger == nil {
		logger = slog.Default()
	}
	rw := recorder.Wrap(w)
	defer recoverProblem(rw, r, logger)
	err := f(rw, r)
	if err == nil {
		return
	}
	if rw.Started() {
		logger.ErrorContext(r.Context(), "request failed after its response started; problem not written",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
		return
	}
	e := clientError(err)
	if status := e.HTTPStatus(); status >= 500 {
		logger.ErrorContext(r.Context(), "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Any("error", err))
	}
	writeProblem(rw, r, e)
}

// recoverProblem must be deferred directly: recover only works there.
func recoverProblem(rw *recorder.Writer, r *http.Request, logger *slog.Logger) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	logger.ErrorContext(r.Context(), "panic serving request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())),
		slog.Bool("response_started", rw.Started()))
	if !rw.Started() {
		WriteProblem(rw, r, Internal(fmt.Errorf("panic: %v", v)))
	}
}

// Mux returns a handler that serves requests through mux, except that the
// answers mux would make itself, for a path no pattern matches (404) or a
// method no pattern allows (405, with the Allow header the mux would send),
// are NOT_FOUND and METHOD_NOT_ALLOWED problems, so that every answer of a
// service is a problem. It asks mux.Handler(r) for the pattern: an empty one
// means mux has no handler of the application's for the request. A nil mux
// answers every request with NOT_FOUND.
func Mux(mux *http.ServeMux) http.Handler {
	if mux == nil {
		mux = http.NewServeMux()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, pattern := mux.Handler(r); pattern == "" {
			// Learn what mux would answer: 404, 405 or a redirect to a
			// cleaned path.
			probe := &probeWriter{header: http.Header{}}
			h.ServeHTTP(probe, r)
			switch probe.status {
			case http.StatusNotFound:
				WriteProblem(w, r, New(CodeNotFound, "nothing is served at this path"))
				return
			case http.StatusMethodNotAllowed:
				WriteProblem(w, r, MethodNotAllowed(strings.Split(probe.header.Get("Allow"), ", ")...))
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// probeWriter keeps the header and the first status written to it and
// discards the body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }

func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *probeWriter) Write(b []byte) (int, error) {
	p.WriteHeader(http.StatusOK)
	return len(b), nil
}
