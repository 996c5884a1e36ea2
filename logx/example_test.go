package logx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"

	"github.com/hardenkit/harden/logx"
	"go.opentelemetry.io/otel/trace"
)

// stable removes the values that change from run to run (time, duration),
// so that the examples' output can be checked.
func stable(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == "duration") {
		return slog.Attr{}
	}
	return a
}

func ExampleNew() {
	logger := logx.New(os.Stdout, &logx.Options{
		Service:     "billing",
		Version:     "1.4.2",
		Environment: "production",
		ReplaceAttr: stable, // only to make this example's output stable
	})
	ctx := logx.WithRequestID(context.Background(), "req-7f3a")
	logger.InfoContext(ctx, "invoice sent", "invoice", 1042, "api_key", "sk_live_abc")
	// Output:
	// {"level":"INFO","msg":"invoice sent","service":"billing","version":"1.4.2","env":"production","invoice":1042,"api_key":"[REDACTED]","request_id":"req-7f3a"}
}

func ExampleNew_text() {
	logger := logx.New(os.Stdout, &logx.Options{Format: logx.FormatText, Level: slog.LevelDebug, ReplaceAttr: stable})
	logger.Debug("cache miss", "key", "user:42")
	// Output:
	// level=DEBUG msg="cache miss" key=user:42
}

func ExampleNewHandler() {
	inner := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: stable})
	logger := slog.New(logx.NewHandler(inner, nil))

	// A context holding a request ID and an OpenTelemetry span.
	ctx := logx.WithRequestID(context.Background(), "req-1")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	}))

	// The IDs stay at the root, even inside a group.
	logger.WithGroup("db").InfoContext(ctx, "query", "table", "users", "password", "hunter2")
	// Output:
	// {"level":"INFO","msg":"query","db":{"table":"users","password":"[REDACTED]"},"request_id":"req-1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7"}
}

func ExampleHandlerOptions() {
	type tenantKey struct{}
	inner := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: stable})
	logger := slog.New(logx.NewHandler(inner, &logx.HandlerOptions{
		RedactKeys: []string{"ssn"},
		Extractors: []logx.Extractor{func(ctx context.Context) slog.Attr {
			if t, ok := ctx.Value(tenantKey{}).(string); ok {
				return slog.String("tenant", t)
			}
			return slog.Attr{}
		}},
	}))
	ctx := context.WithValue(context.Background(), tenantKey{}, "acme")
	logger.InfoContext(ctx, "signup", "email", "ada@example.com", "customer_ssn", "078-05-1120")
	// Output:
	// {"level":"INFO","msg":"signup","email":"ada@example.com","customer_ssn":"[REDACTED]","tenant":"acme"}
}

func ExampleDefaultRedactKeys() {
	keys := logx.DefaultRedactKeys()
	fmt.Println(slices.Contains(keys, "password"), slices.Contains(keys, "authorization"))

	// Matching ignores case and separators, and also takes the key's last word,
	// so all of these are redacted.
	logger := slog.New(logx.NewHandler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: stable}), nil))
	logger.Info("login", "DB_Password", "hunter2", "X-Api-Key", "k-123", "refreshToken", "r-456", "user", "ada")
	// Output:
	// true true
	// {"level":"INFO","msg":"login","DB_Password":"[REDACTED]","X-Api-Key":"[REDACTED]","refreshToken":"[REDACTED]","user":"ada"}
}

func ExampleSecret() {
	type Config struct {
		User     string
		Password logx.Secret
	}
	cfg := Config{User: "app", Password: "hunter2"}

	fmt.Printf("%+v\n", cfg)
	j, _ := json.Marshal(cfg)
	fmt.Println(string(j))
	fmt.Println(len(cfg.Password.Reveal()))
	// Output:
	// {User:app Password:[REDACTED]}
	// {"User":"app","Password":"[REDACTED]"}
	// 7
}

func ExampleWithRequestID() {
	ctx := logx.WithRequestID(context.Background(), "job-2024-06-01")
	fmt.Println(logx.RequestID(ctx))
	fmt.Printf("%q\n", logx.RequestID(context.Background()))
	// Output:
	// job-2024-06-01
	// ""
}

func ExampleRequestID() {
	handler := logx.Middleware(&logx.MiddlewareOptions{Logger: slog.New(slog.DiscardHandler)})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Println("handling", logx.RequestID(r.Context()))
		}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set(logx.HeaderRequestID, "abc-123")
	handler.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// handling abc-123
}

func ExampleNewRequestID() {
	id := logx.NewRequestID()
	fmt.Println(len(id), logx.ValidRequestID(id))
	// Output:
	// 36 true
}

func ExampleValidRequestID() {
	fmt.Println(logx.ValidRequestID("0190a5c4-3b7e-7d4a-9f1e-2c6d8b5e4a10"))
	fmt.Println(logx.ValidRequestID("abc\r\nSet-Cookie: x=y"))
	// Output:
	// true
	// false
}

func ExampleMiddleware() {
	logger := logx.New(os.Stdout, &logx.Options{ReplaceAttr: stable})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "loading order", "order", r.PathValue("id"))
		io.WriteString(w, "ok")
	})
	handler := logx.Middleware(&logx.MiddlewareOptions{Logger: logger})(mux)

	req := httptest.NewRequest("GET", "/orders/42?expand=items", nil)
	req.Header.Set(logx.HeaderRequestID, "req-42")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get(logx.HeaderRequestID))
	// Output:
	// {"level":"INFO","msg":"loading order","order":"42","request_id":"req-42"}
	// {"level":"INFO","msg":"http request","method":"GET","path":"/orders/42","status":200,"bytes":2,"request_id":"req-42"}
	// req-42
}

func ExampleTransport() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("upstream got", r.Header.Get(logx.HeaderRequestID))
	}))
	defer upstream.Close()

	client := &http.Client{Transport: logx.Transport(upstream.Client().Transport)}
	ctx := logx.WithRequestID(context.Background(), "req-9")
	req, _ := http.NewRequestWithContext(ctx, "GET", upstream.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	// Output:
	// upstream got req-9
}
