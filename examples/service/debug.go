package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hardenkit/harden/result"
)

// addDebugRoutes registers two routes that misbehave on purpose, to show what
// the service does when a handler panics and when a request is in flight as
// shutdown begins. They are off unless -debug-routes is set; never turn them
// on in production.
//
//	GET /debug/panic          panics: the client gets a 500 problem, the logs the stack
//	GET /debug/slow?for=2s    answers after a while, shorter than the write timeout
func addDebugRoutes(mux *http.ServeMux, logger *slog.Logger) {
	mux.Handle("GET /debug/panic", result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		panic("debug: deliberate panic; this text is for the logs, never for the client")
	}).WithLogger(logger))
	mux.Handle("GET /debug/slow", result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		d, err := time.ParseDuration(r.URL.Query().Get("for"))
		if err != nil || d <= 0 || d >= writeTimeout {
			return result.Validation(result.Violation{Pointer: "/for", Rule: "duration",
				Message: fmt.Sprintf("must be a duration above 0 and below %s, the server's write timeout", writeTimeout)})
		}
		logger.InfoContext(r.Context(), "debug: slow request started", "for", d)
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return result.Canceled(context.Cause(r.Context()))
		}
		return writeJSON(w, http.StatusOK, map[string]string{"slept": d.String()})
	}).WithLogger(logger))
}
