// Package logxbench measures github.com/hardenkit/harden/logx against the
// loggers a service would use instead: log/slog's JSON handler with the
// request and trace IDs added by hand, go.uber.org/zap with its production
// JSON encoder, and github.com/rs/zerolog. Every contender writes the same
// JSON line (message, level, time, request_id, trace_id, span_id and three
// fields) to io.Discard; TestSameLine checks that they do.
package logxbench
