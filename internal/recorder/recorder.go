// Package recorder provides the response writer wrapper that result's
// handlers and logx's middleware use to learn what a handler sent: the
// status, the body bytes, and whether the response has started.
package recorder

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// Writer records the response written through it. Status is the final status
// sent: 0 until WriteHeader, a Write, a ReadFrom that copied a byte or a
// successful Flush sends one. An informational 1xx status other than 101
// Switching Protocols passes through without being recorded. A second final
// WriteHeader is dropped: net/http would only report it as superfluous,
// naming this wrapper rather than the handler that made it.
//
// Writer keeps http.Flusher, http.Hijacker and io.ReaderFrom working and
// unwraps for http.ResponseController. It is not safe for concurrent use,
// as a ResponseWriter is not.
type Writer struct {
	http.ResponseWriter
	Status   int
	Bytes    int64
	Hijacked bool
}

var (
	_ http.Flusher  = (*Writer)(nil)
	_ http.Hijacker = (*Writer)(nil)
	_ io.ReaderFrom = (*Writer)(nil)
)

// Wrap returns w itself if it is a *Writer, so that stacked handlers share
// one record of the response, or else a new Writer over w.
func Wrap(w http.ResponseWriter) *Writer {
	if rw, ok := w.(*Writer); ok {
		return rw
	}
	return &Writer{ResponseWriter: w}
}

// Started reports whether the response has started: a final status was sent
// or the connection was hijacked. A handler can still write a whole
// response of its own only while it has not.
func (w *Writer) Started() bool { return w.Status != 0 || w.Hijacked }

// WriteHeader records the first final status and passes it on.
func (w *Writer) WriteHeader(code int) {
	if w.Status != 0 {
		return
	}
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// sent records the 200 that net/http sends when the body or a flush starts
// the response before any WriteHeader. After a hijack net/http sends nothing.
func (w *Writer) sent() {
	if w.Status == 0 && !w.Hijacked {
		w.Status = http.StatusOK
	}
}

// Write implements http.ResponseWriter.
func (w *Writer) Write(p []byte) (int, error) {
	w.sent()
	n, err := w.ResponseWriter.Write(p)
	w.Bytes += int64(n)
	return n, err
}

// ReadFrom keeps the underlying writer's fast path (sendfile) for io.Copy.
// A copy whose first read fails sends nothing, so the response has not
// started after it.
func (w *Writer) ReadFrom(src io.Reader) (int64, error) {
	rf, ok := w.ResponseWriter.(io.ReaderFrom)
	if !ok {
		// Through w.Write, which io.Copy calls only with bytes to write.
		return io.Copy(writerOnly{w}, src)
	}
	n, err := rf.ReadFrom(src)
	if n > 0 {
		w.sent()
	}
	w.Bytes += n
	return n, err
}

// writerOnly hides every method but Write, so io.Copy does not call back
// into ReadFrom.
type writerOnly struct{ io.Writer }

// Flush implements http.Flusher; it does nothing if the underlying writer
// cannot flush.
func (w *Writer) Flush() { _ = w.FlushError() }

// FlushError flushes the underlying writer and reports its error, or
// http.ErrNotSupported; http.ResponseController.Flush uses it.
func (w *Writer) FlushError() error {
	err := http.NewResponseController(w.ResponseWriter).Flush()
	if err == nil {
		w.sent()
	}
	return err
}

// Hijack implements http.Hijacker, returning http.ErrNotSupported if the
// underlying writer cannot be hijacked.
func (w *Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, b, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.Hijacked = true
	}
	return c, b, err
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
