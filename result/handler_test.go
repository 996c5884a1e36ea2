package result

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// captureDefault routes slog.Default to a buffer for the test's duration.
// Tests that use it must not run in parallel.
func captureDefault(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line is not JSON: %s", l)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestHandlerFuncWritesProblem(t *testing.T) {
	logs := captureDefault(t)
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("get: %w", NotFound("project", r.PathValue("id")))
	})
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Request-ID", "abc")
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/projects/9", nil))
	if rec.Code != 404 {
		t.Fatalf("status = %d, want 404", rec.Code)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Code != CodeNotFound || p.RequestID != "abc" || p.Instance != "/projects/9" {
		t.Errorf("problem = %+v", p)
	}
	if logs.Len() != 0 {
		t.Errorf("a 4xx was logged: %s", logs)
	}
}

func TestHandlerFuncSuccess(t *testing.T) {
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusCreated)
		_, err := w.Write([]byte("ok"))
		return err
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != 201 || rec.Body.String() != "ok" {
		t.Errorf("got %d %q", rec.Code, rec.Body)
	}
}

func TestHandlerFuncLogsServerErrorsWithCause(t *testing.T) {
	logs := captureDefault(t)
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return Internal(errors.New("db: connection reset"))
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/p", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "connection reset") {
		t.Fatalf("response %d %s", rec.Code, rec.Body)
	}
	lines := logLines(t, logs)
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["status"] != float64(500) {
		t.Fatalf("logs = %v", lines)
	}
	if e, _ := lines[0]["error"].(map[string]any); e["cause"] != "db: connection reset" {
		t.Errorf("log has no cause: %v", lines[0])
	}
}

func TestHandlerFuncErrorAfterWriteIsLogged(t *testing.T) {
	logs := captureDefault(t)
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, _ = w.Write([]byte("partial"))
		return Conflict("x", "1", "")
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Body.String() != "partial" {
		t.Errorf("response was rewritten: %d %q", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "after its response started") {
		t.Errorf("logs = %s", logs)
	}
}

func TestHandlerFuncRecoversPanic(t *testing.T) {
	logs := captureDefault(t)
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_ = at(nil, 3) // a runtime error panic
		return nil
	})
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Request-ID", "r-1")
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/panic", nil))
	if rec.Code != 500 {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "index out of range") {
		t.Errorf("panic text reached the client: %s", rec.Body)
	}
	lines := logLines(t, logs)
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %v", lines)
	}
	l := lines[0]
	if l["level"] != "ERROR" || !strings.Contains(fmt.Sprint(l["panic"]), "index out of range") ||
		!strings.Contains(fmt.Sprint(l["stack"]), "handler_test.go") || l["path"] != "/panic" {
		t.Errorf("log line = %v", l)
	}
}

func at(s []int, i int) int { return s[i] }

func TestRecoverAfterHeadersLogsOnly(t *testing.T) {
	logs := captureDefault(t)
	h := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		panic("late")
	}), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 202 || rec.Body.Len() != 0 {
		t.Errorf("response rewritten after panic: %d %q", rec.Code, rec.Body)
	}
	lines := logLines(t, logs)
	if len(lines) != 1 || lines[0]["response_started"] != true || lines[0]["panic"] != "late" {
		t.Errorf("logs = %v", lines)
	}
}

func TestRecoverWritesProblem(t *testing.T) {
	captureDefault(t)
	h := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints) // informational: the response has not started
		panic(errors.New("secret internals"))
	}), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), `"code":"INTERNAL"`) || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("body = %s", rec.Body)
	}
}

func TestRecoverPassesAbortHandler(t *testing.T) {
	h := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}), nil)
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler passed on", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	t.Error("ServeHTTP returned normally")
}

func TestHandlerKeepsFlusherAndController(t *testing.T) {
	var flushed, controllerOK bool
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		f, ok := w.(http.Flusher)
		if !ok {
			return errors.New("no Flusher")
		}
		_, _ = w.Write([]byte("a"))
		f.Flush()
		flushed = true
		controllerOK = http.NewResponseController(w).Flush() == nil
		return nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !flushed || !controllerOK || !rec.Flushed {
		t.Errorf("flushed=%v controller=%v recorder.Flushed=%v", flushed, controllerOK, rec.Flushed)
	}
}

func TestHandlerOverRealServer(t *testing.T) {
	captureDefault(t)
	mux := http.NewServeMux()
	mux.Handle("GET /things/{id}", HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return NotFound("thing", r.PathValue("id"))
	}))
	mux.Handle("GET /panic", HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		panic("boom")
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]int{"/things/1": 404, "/panic": 500} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		got := FromResponse(resp)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
		if want == 404 && CodeOf(got) != CodeNotFound {
			t.Errorf("%s: FromResponse code %s, want NOT_FOUND", path, CodeOf(got))
		}
	}
	srv.Client().CloseIdleConnections()
}

// plainWriter is a ResponseWriter with no optional interfaces.
type plainWriter struct {
	h    http.Header
	body bytes.Buffer
	code int
}

func (p *plainWriter) Header() http.Header         { return p.h }
func (p *plainWriter) Write(b []byte) (int, error) { return p.body.Write(b) }
func (p *plainWriter) WriteHeader(code int)        { p.code = code }

// readFromWriter records that io.Copy reached its ReadFrom.
type readFromWriter struct {
	plainWriter
	readFrom bool
}

func (r *readFromWriter) ReadFrom(src io.Reader) (int64, error) {
	r.readFrom = true
	return io.Copy(&r.body, src)
}

func TestHandlerFlushReportsNotSupported(t *testing.T) {
	var flushErr error
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		flushErr = http.NewResponseController(w).Flush()
		return NotFound("x", "1")
	})
	w := &plainWriter{h: http.Header{}}
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if !errors.Is(flushErr, http.ErrNotSupported) {
		t.Errorf("Flush through ResponseController = %v, want http.ErrNotSupported", flushErr)
	}
	// A flush that did nothing has not started the response: the problem is written.
	if w.code != 404 {
		t.Errorf("status = %d, want the 404 problem after a failed flush", w.code)
	}
}

func TestHandlerKeepsReadFrom(t *testing.T) {
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		// A LimitedReader has no WriteTo, so io.Copy asks the writer for ReadFrom.
		_, err := io.Copy(w, io.LimitReader(strings.NewReader("payload"), 100))
		return err
	})
	w := &readFromWriter{plainWriter: plainWriter{h: http.Header{}}}
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if !w.readFrom || w.body.String() != "payload" {
		t.Errorf("readFrom=%v body=%q; io.Copy must reach the underlying ReadFrom", w.readFrom, w.body.String())
	}
}

func TestServerErrorAfterWriteIsLoggedOnce(t *testing.T) {
	logs := captureDefault(t)
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, _ = w.Write([]byte("partial"))
		return Internal(errors.New("disk full"))
	})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if lines := logLines(t, logs); len(lines) != 1 {
		t.Errorf("logged %d lines for one failure, want 1: %v", len(lines), lines)
	}
}

// failingReader fails on its first read, before yielding a byte.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("source broke") }

// A copy that fails before its first byte has sent nothing, so the problem
// must still reach the client, whether the writer has ReadFrom (net/http's
// does) or not.
func TestFailedCopyBeforeFirstByteWritesProblem(t *testing.T) {
	copyThenFail := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := io.Copy(w, failingReader{}); err != nil {
			return UpstreamFailure("blobs", 0, err)
		}
		return nil
	})
	copyThenPanic := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, failingReader{})
		panic("after the copy")
	}), nil)
	tests := []struct {
		name   string
		h      http.Handler
		status int
	}{
		{"HandlerFunc", copyThenFail, http.StatusBadGateway},
		{"Recover", copyThenPanic, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/server", func(t *testing.T) {
			logs := captureDefault(t)
			srv := httptest.NewServer(tt.h)
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			srv.Client().CloseIdleConnections()
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != ContentTypeProblem {
				t.Errorf("got %d %q %q, want the %d problem", resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.status)
			}
			if strings.Contains(logs.String(), "after its response started") || strings.Contains(logs.String(), `"response_started":true`) {
				t.Errorf("logged as started: %s", logs)
			}
		})
		t.Run(tt.name+"/plain", func(t *testing.T) {
			_ = captureDefault(t)
			w := &plainWriter{h: http.Header{}}
			tt.h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if w.code != tt.status || w.h.Get("Content-Type") != ContentTypeProblem {
				t.Errorf("got %d %q, want the %d problem", w.code, w.h.Get("Content-Type"), tt.status)
			}
		})
	}
}

// A copy that sent bytes before failing has started the response.
func TestFailedCopyAfterFirstByteIsLogged(t *testing.T) {
	logs := captureDefault(t)
	h := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, err := io.Copy(w, io.MultiReader(io.LimitReader(strings.NewReader("partial"), 7), failingReader{}))
		return UpstreamFailure("blobs", 0, err)
	})
	for _, w := range []http.ResponseWriter{&plainWriter{h: http.Header{}}, &readFromWriter{plainWriter: plainWriter{h: http.Header{}}}} {
		logs.Reset()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if !strings.Contains(logs.String(), "after its response started") {
			t.Errorf("%T: logs = %s", w, logs)
		}
	}
}

// HandlerFunc.WithLogger and Recover log through the logger they are given,
// not slog.Default().
func TestHandlersLogThroughGivenLogger(t *testing.T) {
	defaults := captureDefault(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	failing := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return Internal(errors.New("disk full"))
	}).WithLogger(logger)
	panicking := Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}), logger)
	for _, h := range []http.Handler{failing, panicking} {
		buf.Reset()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		if rec.Code != 500 {
			t.Errorf("status %d, want 500", rec.Code)
		}
		if lines := logLines(t, &buf); len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["path"] != "/x" {
			t.Errorf("given logger got %v, want one ERROR line", lines)
		}
	}
	if defaults.Len() != 0 {
		t.Errorf("slog.Default() was used: %s", defaults)
	}
}

// Stacked handlers share one recorder: a problem written by HandlerFunc under
// Recover counts as the response having started.
func TestRecoverOverHandlerFunc(t *testing.T) {
	logs := captureDefault(t)
	h := Recover(HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return NotFound("x", "1")
	}), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 404 || logs.Len() != 0 {
		t.Errorf("got %d, logs %s; want the 404 problem and no log", rec.Code, logs)
	}
}

func TestMux(t *testing.T) {
	rec := httptest.NewRecorder()
	Mux(nil).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 404 || rec.Header().Get("Content-Type") != ContentTypeProblem {
		t.Errorf("Mux(nil): %d %q, want a 404 problem", rec.Code, rec.Header().Get("Content-Type"))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			http.NotFound(w, r) // the application's own 404 stays as written
			return
		}
		_, _ = io.WriteString(w, "thing "+r.PathValue("id"))
	})
	mux.HandleFunc("POST /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /dir/", func(w http.ResponseWriter, r *http.Request) {})
	h := Mux(mux)
	tests := []struct {
		method, target string
		status         int
		code           Code // "" for an answer that is not a problem
		allow          string
		body           string
	}{
		{"GET", "/things/7", 200, "", "", "thing 7"},
		{"GET", "/things/missing", 404, "", "", "404 page not found\n"},
		{"GET", "/nothing/here", 404, CodeNotFound, "", ""},
		{"DELETE", "/things/7", 405, CodeMethodNotAllowed, "GET, HEAD, POST", ""},
		{"GET", "/dir", 307, "", "", ""},                  // the mux's redirect to /dir/
		{"GET", "/things/../things/7", 307, "", "", ""},   // and to a cleaned path
		{"GET", "/nothing/../elsewhere", 307, "", "", ""}, // even with no pattern behind it
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/", nil)
			req.URL.Path = tt.target
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if tt.code == "" {
				if rec.Header().Get("Content-Type") == ContentTypeProblem {
					t.Errorf("a problem answered: %s", rec.Body)
				}
				if tt.body != "" && rec.Body.String() != tt.body {
					t.Errorf("body %q, want %q", rec.Body, tt.body)
				}
				return
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code != tt.code || p.Status != tt.status {
				t.Errorf("problem %+v (%v), want %s", p, err, tt.code)
			}
		})
	}
}
