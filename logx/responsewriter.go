package logx

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// responseWriter records the status and body size of a response for the
// access line. It implements http.Flusher, http.Hijacker and io.ReaderFrom
// by delegating through http.ResponseController, and Unwrap so that
// http.ResponseController reaches the underlying writer's other features
// (deadlines, full duplex).
type responseWriter struct {
	w           http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	hijacked    bool
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
	_ http.Hijacker       = (*responseWriter)(nil)
	_ io.ReaderFrom       = (*responseWriter)(nil)
)

// Header implements http.ResponseWriter.
func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader records the first final status. Informational 1xx codes pass
// through without being recorded. Later calls are dropped: net/http would
// only report them as superfluous, naming this wrapper instead of the
// handler that made them.
func (rw *responseWriter) WriteHeader(code int) {
	if rw.wroteHeader {
		return
	}
	if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
		rw.status = code
		rw.wroteHeader = true
	}
	rw.w.WriteHeader(code)
}

// implicitOK records the 200 that net/http sends when the body starts before
// any WriteHeader. After a hijack net/http sends nothing.
func (rw *responseWriter) implicitOK() {
	if !rw.wroteHeader && !rw.hijacked {
		rw.status = http.StatusOK
		rw.wroteHeader = true
	}
}

// Write implements http.ResponseWriter.
func (rw *responseWriter) Write(p []byte) (int, error) {
	rw.implicitOK()
	n, err := rw.w.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// ReadFrom keeps the underlying writer's fast path (sendfile) for io.Copy.
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	rw.implicitOK()
	var (
		n   int64
		err error
	)
	if rf, ok := rw.w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{rw.w}, src)
	}
	rw.bytes += n
	return n, err
}

// writerOnly hides every method but Write, so io.Copy does not call back
// into ReadFrom.
type writerOnly struct{ io.Writer }

// Flush implements http.Flusher. It does nothing if the underlying writer
// cannot flush.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError flushes the underlying writer and reports its error, or
// http.ErrNotSupported; http.ResponseController.Flush uses it.
func (rw *responseWriter) FlushError() error {
	err := http.NewResponseController(rw.w).Flush()
	if err == nil {
		rw.implicitOK()
	}
	return err
}

// Hijack implements http.Hijacker, returning http.ErrNotSupported if the
// underlying writer cannot be hijacked.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, b, err := http.NewResponseController(rw.w).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return c, b, err
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }
