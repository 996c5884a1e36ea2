package health

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var _ Pinger = (*sql.DB)(nil)
var _ Pinger = (*sql.Conn)(nil)

type pingerFunc func(context.Context) error

func (f pingerFunc) PingContext(ctx context.Context) error { return f(ctx) }

func TestPing(t *testing.T) {
	refused := errors.New("connection refused")
	if err := Ping(pingerFunc(func(context.Context) error { return nil }))(context.Background()); err != nil {
		t.Errorf("healthy pinger: %v", err)
	}
	err := Ping(pingerFunc(func(context.Context) error { return refused }))(context.Background())
	if !errors.Is(err, refused) || err.Error() != "health: ping: connection refused" {
		t.Errorf("failing pinger: %v", err)
	}
	if err := Ping(nil)(context.Background()); err == nil || !strings.Contains(err.Error(), "nil Pinger") {
		t.Errorf("nil pinger: %v", err)
	}
	// The check's context reaches the pinger.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Ping(pingerFunc(func(ctx context.Context) error { return ctx.Err() }))(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("pinger did not get the check's context: %v", err)
	}
}

func TestHTTPGet(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			t.Errorf("method = %s, want GET", r.Method)
		}
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, strings.Repeat("x", 10000))
		case "/created":
			w.WriteHeader(http.StatusCreated)
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/hang":
			<-r.Context().Done()
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	ctx := context.Background()
	tests := []struct {
		path string
		want int
		err  string
	}{
		{"/ok", 0, ""},
		{"/ok", 200, ""},
		{"/created", 0, ""},
		{"/created", 201, ""},
		{"/created", 200, "status 201, want 200"},
		{"/down", 0, "status 503, want 2xx"},
		{"/down", 503, ""},
	}
	for _, tt := range tests {
		err := HTTPGet(srv.Client(), srv.URL+tt.path, tt.want)(ctx)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("GET %s want %d: %v, want %q", tt.path, tt.want, err, tt.err)
		}
	}
	// Bodies are read and closed, so one connection serves every run.
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for %d sequential checks, want 1", n, len(tests))
	}

	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := HTTPGet(nil, srv.URL+"/hang", 0)(tctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hanging server: %v, want context.DeadlineExceeded", err)
	}
	srv.CloseClientConnections()
}

func TestHTTPGetHidesPasswords(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the dial fails
	for _, raw := range []string{
		"http://admin:hunter2@" + addr + "/health",
		"http://admin:hunter2@" + addr + "/%zz", // does not parse
		"ftp://admin:hunter2@" + addr + "/",
		"/relative",
	} {
		err := HTTPGet(nil, raw, 0)(context.Background())
		t.Log(err)
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.HasPrefix(err.Error(), "health: GET") {
			t.Errorf("HTTPGet(%q) = %v, want an error without the password", raw, err)
		}
	}
}

func TestTCPDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	if err := TCPDial(ln.Addr().String())(context.Background()); err != nil {
		t.Errorf("dial a listener: %v", err)
	}
	<-accepted
	addr := ln.Addr().String()
	ln.Close()
	err = TCPDial(addr)(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "health: dial tcp "+addr) {
		t.Errorf("dial a closed port: %v", err)
	}
}
