package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/hardenkit/harden/result"
)

// debugRoutes registers two routes that misbehave on purpose, to show (and
// test) what the service does when a handler panics and when a request is
// still running as shutdown begins. They are off unless DEBUG_ROUTES is set;
// never turn them on in production.
//
//	GET /debug/panic          a handler that panics: the client gets a 500 problem, the logs the stack
//	GET /debug/slow?for=2s    answers after a while; maxSlow is the server's write timeout
func debugRoutes(mux *http.ServeMux, maxSlow time.Duration, logger *slog.Logger) {
	mux.Handle("GET /debug/panic", result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		panic("debug: deliberate panic; this text is for the logs, never for the client")
	}))
	mux.Handle("GET /debug/slow", result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		d := time.Second
		if s := r.URL.Query().Get("for"); s != "" {
			v, err := time.ParseDuration(s)
			if err != nil {
				return result.Validation(result.Violation{Pointer: "/for", Rule: "type",
					Message: "must be a duration such as 500ms or 2s"})
			}
			if v <= 0 || v >= maxSlow {
				// Past the write timeout the server could not send the
				// answer anyway.
				return result.Validation(result.Violation{Pointer: "/for", Rule: "lt", Param: maxSlow.String(),
					Message: fmt.Sprintf("must be above 0 and below %s, the server's write timeout", maxSlow)})
			}
			d = v
		}
		ctx := r.Context()
		logger.InfoContext(ctx, "debug: slow request started", "for", d)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return result.Canceled(context.Cause(ctx))
		}
		return writeJSON(w, http.StatusOK, map[string]string{"slept": d.String()})
	}))
}
