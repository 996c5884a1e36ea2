// Package logx provides structured logging for services on top of log/slog:
// JSON lines in which every line of a request carries the same request ID
// and OpenTelemetry trace ID, secrets redacted before they reach any output,
// and one access line per HTTP request. It has no logger of its own: it
// builds *slog.Logger values and slog.Handler wrappers, so everything that
// accepts a *slog.Logger works with it.
//
// # Loggers and handlers
//
// [New] returns a ready *slog.Logger: JSON lines (or text for local
// development), a level, static service, version and environment
// attributes, and the logx handler. [NewHandler] wraps any slog.Handler
// with the same behaviour, for programs that already pick their handler.
//
// Log with the ...Context methods (InfoContext, ErrorContext, LogAttrs) so
// the handler sees the context. From it, the handler adds request_id,
// trace_id and span_id, and the attributes of any [Extractor]s, at the root
// of the record even under WithGroup. It writes durations as Go duration
// strings such as "1.5s", in every line whoever logs them.
//
// # Redaction
//
// Before the inner handler sees a record, the values of denylisted keys are
// replaced by [Redacted], at any depth and inside resolved slog.LogValuers;
// [DefaultRedactKeys] says how keys match. A credential kept in a struct
// field is safe when the field has type [Secret], which prints, marshals and
// logs as [Redacted].
//
// # Requests
//
// [Middleware] gives each HTTP request an ID (a valid incoming
// [HeaderRequestID], or a new UUIDv7 from [NewRequestID]), sets it on the
// response before the handler runs, puts it and the caller's W3C trace
// context into the request context, and logs one access line when the
// handler returns, even if it panics. [Transport] carries the ID and the
// trace context on outgoing requests. Nothing global is read or changed: the
// OpenTelemetry propagator is W3C trace context unless one is configured, not
// the global one, which does nothing until a program sets it.
//
// # Example
//
//	logger := logx.New(os.Stdout, &logx.Options{Service: "billing", Version: version})
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /invoices/{id}", func(w http.ResponseWriter, r *http.Request) {
//		logger.InfoContext(r.Context(), "loading invoice", "id", r.PathValue("id"))
//	})
//	http.ListenAndServe(":8080", logx.Middleware(&logx.MiddlewareOptions{Logger: logger})(mux))
package logx
