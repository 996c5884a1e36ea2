package result

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
)

// HandlerFunc is an HTTP handler that returns an error instead of writing one.
// Its ServeHTTP writes a returned error with WriteProblem, so a handler can end
// with `return result.NotFound("project", id)`.
//
// ServeHTTP also recovers a panic in the handler: it logs the panic value and
// the stack with slog.ErrorContext and answers 500 INTERNAL. Errors with a 5xx
// status are logged too, with their cause, since the client sees none of it.
// If the handler had already started the response when it failed or panicked,
// ServeHTTP logs instead of writing a second response. Logs go through
// slog.Default(), with the request's context so correlation and trace IDs
// follow.
//
// A panic with http.ErrAbortHandler is passed on: it is how a handler tells
// net/http to abort the response silently.
type HandlerFunc func(http.ResponseWriter, *http.Request) error

// ServeHTTP calls f(w, r) and writes its error, or recovers its panic, as a
// problem response.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw := &trackingWriter{ResponseWriter: w}
	defer recoverProblem(tw, r)
	err := f(tw, r)
	if err == nil {
		return
	}
	if tw.started {
		slog.Default().ErrorContext(r.Context(), "request failed after its response started; problem not written",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Any("error", err))
		return
	}
	if status := problemFor(err).Status; status >= 500 {
		slog.Default().ErrorContext(r.Context(), "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Any("error", err))
	}
	WriteProblem(w, r, err)
}

// Recover returns middleware that recovers a panic in next as HandlerFunc
// does: the panic and its stack are logged with slog.ErrorContext through
// slog.Default(), and the client gets a 500 INTERNAL problem unless the
// response had already started. http.ErrAbortHandler is passed on.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer recoverProblem(tw, r)
		next.ServeHTTP(tw, r)
	})
}

// recoverProblem must be deferred directly: recover only works there.
func recoverProblem(tw *trackingWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	slog.Default().ErrorContext(r.Context(), "panic serving request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())),
		slog.Bool("response_started", tw.started))
	if !tw.started {
		WriteProblem(tw.ResponseWriter, r, Internal(fmt.Errorf("panic: %v", v)))
	}
}

// trackingWriter records whether the response has started, so that a failure
// after the first byte is logged rather than written into the middle of a body.
// It keeps http.ResponseController and the common optional interfaces working.
type trackingWriter struct {
	http.ResponseWriter
	started bool
}

// WriteHeader implements http.ResponseWriter and records that the response has started.
func (t *trackingWriter) WriteHeader(code int) {
	// 1xx informational responses do not start the final response.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		t.started = true
	}
	t.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter and records that the response has started.
func (t *trackingWriter) Write(b []byte) (int, error) {
	t.started = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// ReadFrom implements io.ReaderFrom, keeping the underlying writer's fast path
// (sendfile) for io.Copy and http.ServeContent. The response has started only
// once a byte went out: a copy whose first read fails leaves it unstarted, so
// the problem can still be written.
func (t *trackingWriter) ReadFrom(src io.Reader) (int64, error) {
	if rf, ok := t.ResponseWriter.(io.ReaderFrom); ok {
		n, err := rf.ReadFrom(src)
		if n > 0 {
			t.started = true
		}
		return n, err
	}
	// Through t.Write, which io.Copy calls only with bytes to write.
	return io.Copy(writerOnly{t}, src)
}

// writerOnly hides every method but Write, so io.Copy does not call back
// into ReadFrom.
type writerOnly struct{ io.Writer }

// Flush implements http.Flusher; it does nothing if the underlying writer
// cannot flush.
func (t *trackingWriter) Flush() { _ = t.FlushError() }

// FlushError flushes the underlying writer and reports its error, or
// http.ErrNotSupported; http.ResponseController.Flush uses it. A flush
// commits the headers: the response has started.
func (t *trackingWriter) FlushError() error {
	err := http.NewResponseController(t.ResponseWriter).Flush()
	if err == nil {
		t.started = true
	}
	return err
}

// Hijack implements http.Hijacker; a hijacked connection is no longer ours to
// answer on.
func (t *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(t.ResponseWriter).Hijack()
	if err == nil {
		t.started = true
	}
	return conn, rw, err
}

var (
	_ http.Handler                    = HandlerFunc(nil)
	_ http.Flusher                    = (*trackingWriter)(nil)
	_ interface{ FlushError() error } = (*trackingWriter)(nil)
	_ http.Hijacker                   = (*trackingWriter)(nil)
	_ io.ReaderFrom                   = (*trackingWriter)(nil)
)
