package logxbench

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/hardenkit/harden/logx"
	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

const requestID = "0190a5c4-3b7e-7d4a-9f1e-2c6d8b5e4a10"

// idKey is the context key code without logx keeps its request ID under.
type idKey struct{}

// requestContext returns a context shaped like a server request's: a
// cancel, the request ID (stored both for logx and under idKey for the
// hand-written contenders) and a valid, sampled span context.
func requestContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	ctx = logx.WithRequestID(ctx, requestID)
	ctx = context.WithValue(ctx, idKey{}, requestID)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	return trace.ContextWithSpanContext(ctx, sc)
}

// ids reads the request ID and the trace and span IDs from ctx the way
// code without logx does on every call: a context lookup for each, and the
// hex encoding of both OpenTelemetry IDs.
func ids(ctx context.Context) (rid, tid, sid string) {
	rid, _ = ctx.Value(idKey{}).(string)
	sc := trace.SpanContextFromContext(ctx)
	return rid, sc.TraceID().String(), sc.SpanID().String()
}

// A contender logs one line for the request in ctx: the message "request
// handled" and the fields user, items and cached, at level lvl.
type contender struct {
	name string
	log  func(ctx context.Context, debug bool)
}

func level(debug bool) slog.Level {
	if debug {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

func zapLogger(w io.Writer) *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(w), zapcore.InfoLevel))
}

func zerologLogger(w io.Writer) zerolog.Logger {
	return zerolog.New(w).Level(zerolog.InfoLevel).With().Timestamp().Logger()
}

// perCall returns the contenders that read the IDs from the context on
// every line: logx does it in its handler; the others do it by hand, in
// the logging call, as code without logx must when it has only the context.
func perCall(w io.Writer) []contender {
	harden := logx.New(w, nil)
	plain := slog.New(slog.NewJSONHandler(w, nil))
	zl := zapLogger(w)
	zr := zerologLogger(w)
	return []contender{
		{"harden", func(ctx context.Context, debug bool) {
			harden.LogAttrs(ctx, level(debug), "request handled",
				slog.String("user", "u-1842"), slog.Int("items", 3), slog.Bool("cached", true))
		}},
		{"slog-by-hand", func(ctx context.Context, debug bool) {
			rid, tid, sid := ids(ctx)
			plain.LogAttrs(ctx, level(debug), "request handled",
				slog.String("request_id", rid), slog.String("trace_id", tid), slog.String("span_id", sid),
				slog.String("user", "u-1842"), slog.Int("items", 3), slog.Bool("cached", true))
		}},
		{"zap", func(ctx context.Context, debug bool) {
			rid, tid, sid := ids(ctx)
			lvl := zapcore.InfoLevel
			if debug {
				lvl = zapcore.DebugLevel
			}
			zl.Log(lvl, "request handled",
				zap.String("request_id", rid), zap.String("trace_id", tid), zap.String("span_id", sid),
				zap.String("user", "u-1842"), zap.Int("items", 3), zap.Bool("cached", true))
		}},
		{"zerolog", func(ctx context.Context, debug bool) {
			rid, tid, sid := ids(ctx)
			lvl := zerolog.InfoLevel
			if debug {
				lvl = zerolog.DebugLevel
			}
			zr.WithLevel(lvl).Str("request_id", rid).Str("trace_id", tid).Str("span_id", sid).
				Str("user", "u-1842").Int("items", 3).Bool("cached", true).Msg("request handled")
		}},
	}
}

// perRequest returns the contenders as request-scoped loggers: the peers
// log through a child logger made once for the request with the three IDs
// already attached (slog.Logger.With, zap.Logger.With, zerolog's With), so
// a line only encodes the three fields; the cost of making the child is
// left out, which is the peers' best case (many lines per request). logx
// has no child logger to make: its line is the same as in perCall.
func perRequest(ctx context.Context, w io.Writer) []contender {
	rid, tid, sid := ids(ctx)
	harden := logx.New(w, nil)
	plain := slog.New(slog.NewJSONHandler(w, nil)).With(
		slog.String("request_id", rid), slog.String("trace_id", tid), slog.String("span_id", sid))
	zl := zapLogger(w).With(zap.String("request_id", rid), zap.String("trace_id", tid), zap.String("span_id", sid))
	zr := zerologLogger(w).With().Str("request_id", rid).Str("trace_id", tid).Str("span_id", sid).Logger()
	return []contender{
		{"harden", func(ctx context.Context, debug bool) {
			harden.LogAttrs(ctx, level(debug), "request handled",
				slog.String("user", "u-1842"), slog.Int("items", 3), slog.Bool("cached", true))
		}},
		{"slog-child", func(ctx context.Context, debug bool) {
			plain.LogAttrs(ctx, level(debug), "request handled",
				slog.String("user", "u-1842"), slog.Int("items", 3), slog.Bool("cached", true))
		}},
		{"zap-child", func(ctx context.Context, debug bool) {
			if debug {
				zl.Debug("request handled", zap.String("user", "u-1842"), zap.Int("items", 3), zap.Bool("cached", true))
				return
			}
			zl.Info("request handled", zap.String("user", "u-1842"), zap.Int("items", 3), zap.Bool("cached", true))
		}},
		{"zerolog-child", func(ctx context.Context, debug bool) {
			var e *zerolog.Event
			if debug {
				e = zr.Debug()
			} else {
				e = zr.Info()
			}
			e.Str("user", "u-1842").Int("items", 3).Bool("cached", true).Msg("request handled")
		}},
	}
}

func run(b *testing.B, ctx context.Context, cs []contender, debug bool) {
	for _, c := range cs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.log(ctx, debug)
			}
		})
	}
}

// BenchmarkLine measures one Info line of a request whose IDs are read from
// the context on every call (logx's model; by hand for the others).
func BenchmarkLine(b *testing.B) {
	ctx := requestContext(b)
	run(b, ctx, perCall(io.Discard), false)
}

// BenchmarkLineChild measures one Info line through a request-scoped child
// logger that already holds the IDs (the peers' idiomatic form, child made
// outside the timed loop), against the same logx line.
func BenchmarkLineChild(b *testing.B) {
	ctx := requestContext(b)
	run(b, ctx, perRequest(ctx, io.Discard), false)
}

// BenchmarkDisabled measures a Debug line with the same three fields on an
// Info logger: nothing is written. The peers use their child loggers, so no
// ID is read or formatted for a line that is dropped.
func BenchmarkDisabled(b *testing.B) {
	ctx := requestContext(b)
	run(b, ctx, perRequest(ctx, io.Discard), true)
}
