package logx

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/propagation"
)

// newTestMiddleware returns a middleware logging JSON at level Debug to the
// returned buffer.
func newTestMiddleware(opts *MiddlewareOptions) (func(http.Handler) http.Handler, *syncBuffer) {
	buf := &syncBuffer{}
	o := MiddlewareOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = New(buf, &Options{Level: slog.LevelDebug})
	}
	return Middleware(&o), buf
}

func TestMiddlewareAccessLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		status    float64
		bytes     float64
		level     string
		method    string
		target    string
		wantPath  string
		wantPanic bool
	}{
		{
			name:    "ok with body",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "hello") },
			status:  200, bytes: 5, level: "INFO", method: "GET",
			target: "/users/42?token=abc&x=1", wantPath: "/users/42",
		},
		{
			name:    "no write at all",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			status:  200, bytes: 0, level: "INFO", method: "HEAD", target: "/", wantPath: "/",
		},
		{
			name:    "redirect",
			handler: func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/x", http.StatusFound) },
			status:  302, bytes: 0, level: "INFO", method: "POST", target: "/a", wantPath: "/a",
		},
		{
			name:    "client error",
			handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusNotFound) },
			status:  404, bytes: 5, level: "WARN", method: "POST", target: "/missing", wantPath: "/missing",
		},
		{
			name: "server error",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.WriteHeader(http.StatusOK) // ignored: the first status counts
			},
			status: 503, bytes: 0, level: "ERROR", method: "DELETE", target: "/x", wantPath: "/x",
		},
		{
			name: "informational status first",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusCreated)
			},
			status: 201, bytes: 0, level: "INFO", method: "PUT", target: "/x", wantPath: "/x",
		},
		{
			name:    "escaped path",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			status:  200, level: "INFO", method: "GET", target: "/a%0Ab/%E2%9C%93", wantPath: "/a%0Ab/%E2%9C%93",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, buf := newTestMiddleware(nil)
			rec := httptest.NewRecorder()
			synctest.Test(t, func(t *testing.T) {
				mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					time.Sleep(25 * time.Millisecond)
					tt.handler(w, r)
				})).ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
			})
			line := buf.only(t)
			for k, want := range map[string]any{
				"msg": "http request", "level": tt.level, "method": tt.method, "path": tt.wantPath,
				"status": tt.status, "bytes": tt.bytes, "duration": "25ms",
			} {
				if got := line[k]; got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			if _, ok := line["panic"]; ok {
				t.Errorf("panic attribute on a normal return")
			}
			if id := rec.Header().Get(HeaderRequestID); id == "" || line[KeyRequestID] != id {
				t.Errorf("request_id = %v, response header = %q", line[KeyRequestID], id)
			}
			if strings.Contains(buf.String(), "token=abc") {
				t.Error("query string logged")
			}
		})
	}
}

func TestMiddlewareRequestID(t *testing.T) {
	t.Parallel()
	mw, buf := newTestMiddleware(nil)
	var inHandler, headerInHandler string
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler = RequestID(r.Context())
		// Set before the next handler runs, so error writers can read it.
		headerInHandler = w.Header().Get(HeaderRequestID)
	}))

	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set(HeaderRequestID, "client-id-1.2_3")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if inHandler != "client-id-1.2_3" || headerInHandler != inHandler || rec.Header().Get(HeaderRequestID) != inHandler {
		t.Errorf("valid incoming ID: context %q, header in handler %q, response %q", inHandler, headerInHandler, rec.Header().Get(HeaderRequestID))
	}
	if got := buf.only(t)[KeyRequestID]; got != "client-id-1.2_3" {
		t.Errorf("logged request_id = %v", got)
	}
}

func TestMiddlewareRejectsBadIncomingIDs(t *testing.T) {
	t.Parallel()
	bad := []string{
		"",
		"abc\ndef",
		"abc\r\nSet-Cookie: a=b",
		"abc\x00def",
		"abc\x1b[31mred",
		"ünïcødé",
		"id with spaces",
		"<script>alert(1)</script>",
		strings.Repeat("a", maxRequestIDLen+1),
		strings.Repeat("x", 1<<20),
	}
	for _, v := range bad {
		mw, buf := newTestMiddleware(nil)
		var inHandler string
		h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inHandler = RequestID(r.Context())
			slog.New(NewHandler(slog.NewJSONHandler(buf, nil), nil)).InfoContext(r.Context(), "inside")
		}))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set(HeaderRequestID, v)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		got := rec.Header().Get(HeaderRequestID)
		if got == v || !ValidRequestID(got) || got != inHandler {
			t.Errorf("incoming %.30q: response ID %q, context ID %q; want a new valid ID", v, got, inHandler)
		}
		if v != "" && strings.Contains(buf.String(), v) {
			t.Errorf("incoming %.30q appears in the logs", v)
		}
		for _, l := range buf.lines(t) {
			if l[KeyRequestID] != got {
				t.Errorf("incoming %.30q: logged request_id %v, want %q", v, l[KeyRequestID], got)
			}
		}
	}
}

func TestMiddlewareIDOptions(t *testing.T) {
	t.Parallel()
	t.Run("ignore incoming", func(t *testing.T) {
		t.Parallel()
		mw, _ := newTestMiddleware(&MiddlewareOptions{IgnoreIncomingID: true})
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set(HeaderRequestID, "client-chosen")
		rec := httptest.NewRecorder()
		mw(http.NotFoundHandler()).ServeHTTP(rec, req)
		if got := rec.Header().Get(HeaderRequestID); got == "client-chosen" || !ValidRequestID(got) {
			t.Errorf("ID = %q, want a generated one", got)
		}
	})
	t.Run("custom generator", func(t *testing.T) {
		t.Parallel()
		ids := []string{"gen-1", "bad id\n"}
		mw, _ := newTestMiddleware(&MiddlewareOptions{NewID: func() string {
			id := ids[0]
			ids = ids[1:]
			return id
		}})
		h := mw(http.NotFoundHandler())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if got := rec.Header().Get(HeaderRequestID); got != "gen-1" {
			t.Errorf("ID = %q, want gen-1", got)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if got := rec.Header().Get(HeaderRequestID); !ValidRequestID(got) {
			t.Errorf("invalid generated ID not replaced: %q", got)
		}
	})
}

func TestMiddlewareTraceContext(t *testing.T) {
	t.Parallel()
	mw, buf := newTestMiddleware(nil)
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		New(buf, nil).InfoContext(r.Context(), "inside")
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("traceparent", testTraceparent)
	h.ServeHTTP(httptest.NewRecorder(), req)
	lines := buf.lines(t)
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	for _, l := range lines {
		if l[KeyTraceID] != testTraceHex || l[KeySpanID] != testSpanHex {
			t.Errorf("line %v lacks the incoming trace context", l)
		}
	}

	// A malformed traceparent is ignored, not logged.
	buf2 := &syncBuffer{}
	mw2, _ := newTestMiddleware(&MiddlewareOptions{Logger: New(buf2, nil)})
	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("traceparent", "00-zzzz\n-evil")
	mw2(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req)
	line := buf2.only(t)
	if _, ok := line[KeyTraceID]; ok || strings.Contains(buf2.String(), "evil") {
		t.Errorf("malformed traceparent used or logged: %v", line)
	}
}

// headerPropagator is a TextMapPropagator that records what it extracts.
type headerPropagator struct{ got *string }

func (p headerPropagator) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	c.Set("x-test-trace", "injected")
}

func (p headerPropagator) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	*p.got = c.Get("x-test-trace")
	return ctx
}
func (headerPropagator) Fields() []string { return []string{"x-test-trace"} }

func TestMiddlewareCustomPropagator(t *testing.T) {
	t.Parallel()
	var got string
	mw, _ := newTestMiddleware(&MiddlewareOptions{Propagator: headerPropagator{&got}})
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Test-Trace", "abc")
	mw(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req)
	if got != "abc" {
		t.Errorf("propagator extracted %q, want abc", got)
	}
}

func TestMiddlewareStackedTwice(t *testing.T) {
	t.Parallel()
	outer, buf := newTestMiddleware(nil)
	inner, innerBuf := newTestMiddleware(&MiddlewareOptions{IgnoreIncomingID: true})
	var ids []string
	// Replacing the ID between the two does not make the inner one act.
	replace := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), RequestID(r.Context()))))
		})
	}
	h := outer(replace(inner(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, RequestID(r.Context()), w.Header().Get(HeaderRequestID))
		w.WriteHeader(http.StatusTeapot)
	}))))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set(HeaderRequestID, "outer-id")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if len(ids) != 2 || ids[0] != "outer-id" || ids[1] != "outer-id" || rec.Header().Get(HeaderRequestID) != "outer-id" {
		t.Errorf("IDs seen %v, response %q; want outer-id throughout", ids, rec.Header().Get(HeaderRequestID))
	}
	if line := buf.only(t); line["status"] != float64(http.StatusTeapot) {
		t.Errorf("outer access line %v", line)
	}
	if got := innerBuf.String(); got != "" {
		t.Errorf("inner middleware logged: %s", got)
	}
}

func TestMiddlewarePanic(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		before func(w http.ResponseWriter)
		status float64
	}{
		{"before any write", func(http.ResponseWriter) {}, 500},
		{"after the header", func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }, 202},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, buf := newTestMiddleware(nil)
			boom := errors.New("boom")
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.before(w)
				panic(boom)
			}))
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/p", nil))
			}()
			if recovered != boom {
				t.Fatalf("recovered %v, want the handler's panic value", recovered)
			}
			line := buf.only(t)
			if line["status"] != tt.status || line["panic"] != true || line["level"] != "ERROR" {
				t.Errorf("access line %v, want status %v, panic=true, level ERROR", line, tt.status)
			}
		})
	}
}

// panic(http.ErrAbortHandler) is net/http's silent abort (httputil.ReverseProxy
// uses it when a client goes away): passed on, but not logged as a panic.
func TestMiddlewareAbortIsNotAPanic(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		before func(w http.ResponseWriter)
		status float64
	}{
		{"before any write", func(http.ResponseWriter) {}, 0},
		{"mid-stream", func(w http.ResponseWriter) { _, _ = w.Write([]byte("part")) }, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, buf := newTestMiddleware(nil)
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.before(w)
				panic(http.ErrAbortHandler)
			}))
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/stream", nil))
			}()
			if recovered != http.ErrAbortHandler {
				t.Fatalf("recovered %v, want http.ErrAbortHandler passed on", recovered)
			}
			line := buf.only(t)
			if line["aborted"] != true || line["panic"] != nil || line["level"] != "WARN" || line["status"] != tt.status {
				t.Errorf("access line %v, want aborted=true, no panic, level WARN, status %v", line, tt.status)
			}
		})
	}
}

func TestMiddlewareOtherLoggerGetsRequestID(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	mw, _ := newTestMiddleware(&MiddlewareOptions{Logger: slog.New(slog.NewJSONHandler(buf, nil)), Message: "access"})
	rec := httptest.NewRecorder()
	mw(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	line := buf.only(t)
	if line["msg"] != "access" || line[KeyRequestID] != rec.Header().Get(HeaderRequestID) {
		t.Errorf("access line %v, want msg=access and the request ID", line)
	}
}

func TestMiddlewareSkipAccessLog(t *testing.T) {
	t.Parallel()
	mw, buf := newTestMiddleware(&MiddlewareOptions{SkipAccessLog: func(r *http.Request) bool {
		return r.URL.Path == "/healthz"
	}})
	h := mw(http.NotFoundHandler())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if !ValidRequestID(rec.Header().Get(HeaderRequestID)) {
		t.Error("skipped request got no ID")
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/other", nil))
	if line := buf.only(t); line["path"] != "/other" {
		t.Errorf("logged %v, want only /other", line)
	}
}

func TestMiddlewareNilArguments(t *testing.T) {
	t.Parallel()
	h := Middleware(nil)(nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusNotFound || !ValidRequestID(rec.Header().Get(HeaderRequestID)) {
		t.Errorf("nil next: status %d, ID %q", rec.Code, rec.Header().Get(HeaderRequestID))
	}
}

func TestMiddlewareFlusher(t *testing.T) {
	t.Parallel()
	mw, buf := newTestMiddleware(nil)
	var typeAssertOK bool
	var rcErr error
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "chunk")
		f, ok := w.(http.Flusher)
		typeAssertOK = ok
		if ok {
			f.Flush()
		}
		rcErr = http.NewResponseController(w).Flush()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !typeAssertOK || rcErr != nil || !rec.Flushed {
		t.Errorf("Flusher assertion %v, ResponseController.Flush error %v, recorder flushed %v", typeAssertOK, rcErr, rec.Flushed)
	}
	if line := buf.only(t); line["bytes"] != float64(5) {
		t.Errorf("bytes = %v", line["bytes"])
	}

	// A writer that cannot flush reports ErrNotSupported through
	// ResponseController, and Flush does nothing.
	mw2, _ := newTestMiddleware(nil)
	mw2(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		rcErr = http.NewResponseController(w).Flush()
	})).ServeHTTP(plainWriter{httptest.NewRecorder()}, httptest.NewRequest("GET", "/", nil))
	if !errors.Is(rcErr, http.ErrNotSupported) {
		t.Errorf("Flush on a plain writer: %v, want ErrNotSupported", rcErr)
	}
}

// plainWriter hides every optional interface of its writer.
type plainWriter struct{ w http.ResponseWriter }

func (p plainWriter) Header() http.Header         { return p.w.Header() }
func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p plainWriter) WriteHeader(code int)        { p.w.WriteHeader(code) }

func TestMiddlewareReadFrom(t *testing.T) {
	t.Parallel()
	for _, w := range []http.ResponseWriter{httptest.NewRecorder(), plainWriter{httptest.NewRecorder()}} {
		mw, buf := newTestMiddleware(nil)
		mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := w.(io.ReaderFrom); !ok {
				t.Error("not an io.ReaderFrom")
			}
			if n, err := io.Copy(w, strings.NewReader(strings.Repeat("z", 1000))); n != 1000 || err != nil {
				t.Errorf("io.Copy = %d, %v", n, err)
			}
		})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if line := buf.only(t); line["bytes"] != float64(1000) || line["status"] != float64(200) {
			t.Errorf("access line %v, want 1000 bytes, status 200", line)
		}
	}
}

// TestMiddlewareRealServer checks, over real connections, the features
// http.ResponseController reaches through Unwrap, Hijack, and that the
// response carries the ID.
func TestMiddlewareRealServer(t *testing.T) {
	t.Parallel()
	mw, buf := newTestMiddleware(nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/deadline", func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := rc.EnableFullDuplex(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = brw.Flush()
	})
	// httptest.Server.Close does not wait for hijacked connections: done
	// tells when the hijacking request, access line included, is over.
	done := make(chan struct{})
	logged := mw(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logged.ServeHTTP(w, r)
		if r.URL.Path == "/hijack" {
			close(done)
		}
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/deadline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" || !ValidRequestID(resp.Header.Get(HeaderRequestID)) {
		t.Errorf("deadline: status %d, body %q, ID %q", resp.StatusCode, body, resp.Header.Get(HeaderRequestID))
	}

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n")
	hresp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(hresp.Body)
	hresp.Body.Close()
	if string(body) != "hijacked" {
		t.Errorf("hijack body %q", body)
	}
	srv.Close() // waits for the other handler
	<-done

	lines := buf.lines(t)
	if len(lines) != 2 {
		t.Fatalf("got %d access lines, want 2", len(lines))
	}
	for _, l := range lines {
		switch l["path"] {
		case "/deadline":
			if l["status"] != float64(200) || l["bytes"] != float64(2) {
				t.Errorf("deadline line %v", l)
			}
		case "/hijack":
			if l["hijacked"] != true || l["status"] != float64(0) {
				t.Errorf("hijack line %v, want hijacked=true, status 0", l)
			}
		default:
			t.Errorf("unexpected line %v", l)
		}
	}
}

func TestMiddlewareHijackUnsupported(t *testing.T) {
	t.Parallel()
	mw, _ := newTestMiddleware(nil)
	var err error
	mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, err = w.(http.Hijacker).Hijack()
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !errors.Is(err, http.ErrNotSupported) {
		t.Errorf("Hijack on a recorder: %v, want ErrNotSupported", err)
	}
}

func TestMiddlewareUnwrap(t *testing.T) {
	t.Parallel()
	mw, _ := newTestMiddleware(nil)
	rec := httptest.NewRecorder()
	var got http.ResponseWriter
	mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = w.(interface{ Unwrap() http.ResponseWriter }).Unwrap()
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got != rec {
		t.Errorf("Unwrap returned %T, want the original writer", got)
	}
}

func TestMiddlewareDisabledLevel(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	mw, _ := newTestMiddleware(&MiddlewareOptions{Logger: New(buf, &Options{Level: slog.LevelWarn})})
	mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	mw(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nf", nil))
	if line := buf.only(t); line["path"] != "/nf" {
		t.Errorf("logged %v, want only the 404", line)
	}
}

func TestMiddlewareNilLoggerUsesTheCurrentDefault(t *testing.T) {
	// Not parallel: it replaces slog.Default.
	old := slog.Default()
	defer slog.SetDefault(old)
	h := Middleware(nil)(http.NotFoundHandler())
	buf := &syncBuffer{}
	slog.SetDefault(New(buf, nil)) // set after the middleware was made
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/missing", nil))
	line := buf.only(t)
	if line["level"] != "WARN" || line["status"] != float64(404) || line[KeyRequestID] != rec.Header().Get(HeaderRequestID) {
		t.Errorf("access line %v, want a structured WARN line with status 404 and the request ID", line)
	}
}

func TestMiddlewareLogxHandlerBehindAnother(t *testing.T) {
	t.Parallel()
	logxOut, plainOut := &syncBuffer{}, &syncBuffer{}
	logger := slog.New(slog.NewMultiHandler(
		NewHandler(slog.NewJSONHandler(logxOut, nil), nil),
		slog.NewJSONHandler(plainOut, nil),
	))
	mw, _ := newTestMiddleware(&MiddlewareOptions{Logger: logger})
	rec := httptest.NewRecorder()
	mw(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	id := rec.Header().Get(HeaderRequestID)
	for name, out := range map[string]*syncBuffer{"logx": logxOut, "plain": plainOut} {
		if n := strings.Count(out.String(), `"`+KeyRequestID+`"`); n != 1 {
			t.Errorf("%s handler: request_id written %d times, want once:\n%s", name, n, out.String())
		}
		if line := out.only(t); line[KeyRequestID] != id {
			t.Errorf("%s handler: request_id = %v, want %q", name, line[KeyRequestID], id)
		}
	}
}

func TestMiddlewareGoexitIsAnAbort(t *testing.T) {
	t.Parallel()
	mw, buf := newTestMiddleware(nil)
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { runtime.Goexit() }))
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/exit", nil))
	}()
	<-done
	line := buf.only(t)
	if line["aborted"] != true || line["panic"] != nil || line["level"] != "WARN" || line["status"] != float64(0) {
		t.Errorf("access line %v, want aborted=true, no panic, level WARN, status 0", line)
	}
}

// hijackRecorder is a ResponseRecorder that can be hijacked, handing over
// one end of a pipe whose other end is closed.
type hijackRecorder struct{ *httptest.ResponseRecorder }

func (hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	a, b := net.Pipe()
	_ = b.Close()
	return a, bufio.NewReadWriter(bufio.NewReader(a), bufio.NewWriter(a)), nil
}

func TestMiddlewareHijackedStatus(t *testing.T) {
	t.Parallel()
	hijack := func(w http.ResponseWriter) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		_ = c.Close()
	}
	for _, tt := range []struct {
		name  string
		after func(w http.ResponseWriter)
		level string
		panic any
	}{
		{"write after hijack", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, "INFO", nil},
		{"panic after hijack", func(http.ResponseWriter) { panic("boom") }, "ERROR", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, buf := newTestMiddleware(nil)
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hijack(w)
				tt.after(w)
			}))
			func() {
				defer func() { _ = recover() }()
				h.ServeHTTP(hijackRecorder{httptest.NewRecorder()}, httptest.NewRequest("GET", "/ws", nil))
			}()
			line := buf.only(t)
			if line["hijacked"] != true || line["status"] != float64(0) || line["level"] != tt.level || line["panic"] != tt.panic {
				t.Errorf("access line %v, want hijacked=true, status 0, level %s, panic %v", line, tt.level, tt.panic)
			}
		})
	}
}

// A request whose body the server stops reading at its read timeout is
// logged as 408, not as the 499 a handler answers when it finds its context
// canceled (as validate.DecodeJSON does).
func TestMiddlewareReadTimeoutIs408(t *testing.T) {
	t.Parallel()
	mw, buf := newTestMiddleware(nil)
	done := make(chan struct{})
	srv := httptest.NewUnstartedServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		if _, err := io.ReadAll(r.Body); err != nil && r.Context().Err() != nil {
			w.WriteHeader(499)
		}
	})))
	srv.Config.ReadTimeout = 100 * time.Millisecond
	srv.Start()
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Promise ten bytes, send three, and wait.
	_, _ = io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
	<-done
	srv.Close()
	if line := buf.only(t); line["status"] != float64(http.StatusRequestTimeout) || line["level"] != "WARN" {
		t.Errorf("access line %v, want status 408 at level WARN", line)
	}
}
