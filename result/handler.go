package result

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/hardenkit/harden/internal/recorder"
)

// HandlerFunc is an HTTP handler that returns an error instead of writing one:
// ServeHTTP writes it with WriteProblem, so a handler can end with
// `return result.NotFound("project", id)`, and logs it with its cause if its
// status is 5xx. ServeHTTP also recovers a panic, logging its value and
// stack, and answers 500 INTERNAL; http.ErrAbortHandler, net/http's silent
// abort, is passed on. If the response had already started, it logs instead
// of writing. Lines go at level Error, with the request's context so that
// request and trace IDs follow, to slog.Default() or the WithLogger logger.
type HandlerFunc func(http.ResponseWriter, *http.Request) error

// ServeHTTP calls f(w, r) and writes its error, or recovers its panic.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) { serve(w, r, f, nil) }

// WithLogger returns f as an http.Handler that logs through logger (nil means
// slog.Default()).
func (f HandlerFunc) WithLogger(logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, f, logger)
	})
}

// Recover returns next wrapped so that a panic in it is recovered, logged
// through logger (nil means slog.Default()) and answered as HandlerFunc does.
func Recover(next http.Handler, logger *slog.Logger) http.Handler {
	return HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		next.ServeHTTP(w, r)
		return nil
	}).WithLogger(logger)
}

func serve(w http.ResponseWriter, r *http.Request, f HandlerFunc, logger *slog.Logger) {
	logger = cmp.Or(logger, slog.Default())
	logError := func(msg string, attrs ...slog.Attr) {
		attrs = append([]slog.Attr{slog.String("method", r.Method), slog.String("path", r.URL.Path)}, attrs...)
		logger.LogAttrs(r.Context(), slog.LevelError, msg, attrs...)
	}
	rw := recorder.Wrap(w)
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		logError("panic serving request", slog.String("panic", fmt.Sprint(v)),
			slog.String("stack", string(debug.Stack())), slog.Bool("response_started", rw.Started()))
		if !rw.Started() {
			WriteProblem(rw, r, Internal(nil))
		}
	}()
	err := f(rw, r)
	switch {
	case err == nil:
	case rw.Started():
		logError("request failed after its response started; problem not written", slog.Any("error", err))
	default:
		WriteProblem(rw, r, err)
		if rw.Status >= 500 {
			logError("request failed", slog.Int("status", rw.Status), slog.Any("error", err))
		}
	}
}

// Mux returns a handler that serves requests through mux, except that the
// answers mux would make itself, for a path no pattern matches (404) or a
// method no pattern allows (405, with the Allow header mux would send), are
// NOT_FOUND and METHOD_NOT_ALLOWED problems, so that every answer of a service
// is a problem. A nil mux answers every request with NOT_FOUND.
func Mux(mux *http.ServeMux) http.Handler {
	mux = cmp.Or(mux, http.NewServeMux())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, pattern := mux.Handler(r); pattern == "" {
			// No pattern of the application's matches: learn whether mux
			// would answer 404, 405 or a redirect to a cleaned path.
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

// probeWriter keeps the header and the first status of mux's own answer,
// which always writes its status before its body, and discards the body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) WriteHeader(code int)        { p.status = cmp.Or(p.status, code) }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
