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
// the handler sees the context. From it, the handler adds request_id (see
// [WithRequestID]), trace_id and span_id when the context holds a valid
// OpenTelemetry span context, and the attributes of any [Extractor]s. These
// keys always sit at the root of the record, even under WithGroup: the
// handler keeps groups itself and nests the other attributes by hand.
//
// # Redaction
//
// Before the inner handler sees a record, the values of denylisted keys are
// replaced by [Redacted]: in the record's attributes, in those added with
// WithAttrs, inside groups at any depth, and inside the values that
// slog.LogValuer implementations resolve to (a denylisted key's LogValuer is
// never called). Keys are compared ignoring ASCII case and the separators
// '_', '-', '.' and ' ', and a denylisted word also matches as the last word
// of a longer key, after a separator or at an upper-case letter: "password"
// covers "Password", "db_password" and "dbPassword"; "api_key" covers
// "X-Api-Key". A word run into the key without a boundary is not matched:
// "dbpassword" is not redacted unless added to [HandlerOptions.RedactKeys].
// [DefaultRedactKeys] lists the defaults.
//
// Redaction works on keys. A credential kept in an exported struct field is
// safe when the field has type [Secret], which prints, marshals and logs as
// [Redacted]; its documentation lists the two places fmt and encoding/json
// do not consult it. A logger's group whose name is denylisted is redacted
// whole, like a group attribute with that key.
//
// # Requests
//
// [Middleware] gives each HTTP request an ID (a valid incoming X-Request-ID,
// or a new UUIDv7 from [NewRequestID]), sets it on the response before the
// handler runs, puts it and the caller's W3C trace context into the request
// context, and logs one access line when the handler returns, even if it
// panics. Incoming IDs that are not plain short tokens ([ValidRequestID])
// are replaced, never logged or echoed. [Transport] carries the ID and the
// trace context on outgoing requests.
//
// Nothing global is read or changed: the OpenTelemetry propagator is W3C
// trace context unless one is configured, not the global one, which does
// nothing until a program sets it.
//
// # Example
//
//	logger := logx.New(os.Stdout, &logx.Options{Service: "billing", Version: version})
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /invoices/{id}", func(w http.ResponseWriter, r *http.Request) {
//		logger.InfoContext(r.Context(), "loading invoice", "id", r.PathValue("id"))
//	})
//	http.ListenAndServe(":8080", logx.Middleware(&logx.MiddlewareOptions{Logger: logger})(mux))
//
// # Performance
//
// With no group open and nothing to redact, a record passes to the inner
// handler as it is, with the context attributes appended; their strings are
// built once per request and span and then reused. Records under WithGroup,
// or with something to redact or resolve, are rebuilt, which allocates.
// Enabled goes straight to the inner handler.
//
// A line through logx costs about what the same line costs written with
// slog alone, the IDs read from the context and passed as attributes on each
// call, and allocates less (the ID strings are cached). It costs 10 to 15
// percent more than slog writing IDs prepared in advance, the floor for that
// output, which no code reading the IDs from the context reaches: roughly
// equal parts the extra handler in the chain, the two context lookups, and
// checking each key against the denylist. BenchmarkHandlerRatio measures
// all three side by side.
package logx
