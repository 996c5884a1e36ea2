package recorder

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStatusRules(t *testing.T) {
	tests := []struct {
		name    string
		write   func(w *Writer)
		status  int
		started bool
	}{
		{"nothing", func(*Writer) {}, 0, false},
		{"1xx is not final", func(w *Writer) { w.WriteHeader(http.StatusEarlyHints) }, 0, false},
		{"1xx then final", func(w *Writer) { w.WriteHeader(http.StatusEarlyHints); w.WriteHeader(201) }, 201, true},
		{"101 is final", func(w *Writer) { w.WriteHeader(http.StatusSwitchingProtocols) }, 101, true},
		{"second final dropped", func(w *Writer) { w.WriteHeader(503); w.WriteHeader(200) }, 503, true},
		{"write sends 200", func(w *Writer) { _, _ = w.Write([]byte("x")) }, 200, true},
		{"flush sends 200", func(w *Writer) { w.Flush() }, 200, true},
		{"copy of nothing", func(w *Writer) { _, _ = io.Copy(w, failing{}) }, 0, false},
		{"copy of bytes", func(w *Writer) { _, _ = io.Copy(w, io.LimitReader(strings.NewReader("abc"), 3)) }, 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			under := &lastStatus{ResponseWriter: httptest.NewRecorder()}
			w := Wrap(under)
			tt.write(w)
			if w.Status != tt.status || w.Started() != tt.started {
				t.Errorf("Status %d, Started %v; want %d, %v", w.Status, w.Started(), tt.status, tt.started)
			}
			if tt.status != 0 && under.code != 0 && under.code != tt.status {
				t.Errorf("the underlying writer last got %d, want %d", under.code, tt.status)
			}
		})
	}
}

// lastStatus keeps the last status passed to WriteHeader.
type lastStatus struct {
	http.ResponseWriter
	code int
}

func (l *lastStatus) WriteHeader(code int)        { l.code = code; l.ResponseWriter.WriteHeader(code) }
func (l *lastStatus) Unwrap() http.ResponseWriter { return l.ResponseWriter }

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("broken source") }

func TestBytesAndWrap(t *testing.T) {
	w := Wrap(httptest.NewRecorder())
	if Wrap(w) != w {
		t.Error("Wrap of a *Writer made a second one")
	}
	_, _ = w.Write([]byte("abc"))
	_, _ = io.Copy(w, io.LimitReader(strings.NewReader("defg"), 4))
	if w.Bytes != 7 {
		t.Errorf("Bytes = %d, want 7", w.Bytes)
	}
	if _, _, err := w.Hijack(); !errors.Is(err, http.ErrNotSupported) || w.Hijacked {
		t.Errorf("Hijack on a recorder: %v, Hijacked %v", err, w.Hijacked)
	}
	if w.Unwrap() == nil {
		t.Error("Unwrap returned nil")
	}
}
