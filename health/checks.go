package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// Pinger is anything that can check its connection: *sql.DB, *sql.Conn
// and the clients of many databases and caches have this method.
type Pinger interface {
	PingContext(ctx context.Context) error
}

// Ping returns a check function that calls p.PingContext.
//
//	c.Add(health.Check{Name: "db", Func: health.Ping(db), Critical: true})
func Ping(p Pinger) func(context.Context) error {
	return func(ctx context.Context) error {
		if p == nil {
			return errors.New("health: ping: nil Pinger")
		}
		if err := p.PingContext(ctx); err != nil {
			return fmt.Errorf("health: ping: %w", err)
		}
		return nil
	}
}

// HTTPGet returns a check function that sends GET rawURL with client
// (http.DefaultClient if nil) under the check's context and passes if
// the response status is wantStatus, or any 2xx status if wantStatus is
// zero. It reads (at most 64 KiB of) the body and closes it. A URL that
// does not parse makes every run fail with the parse error. Passwords
// in the URL never appear in errors.
func HTTPGet(client *http.Client, rawURL string, wantStatus int) func(context.Context) error {
	if client == nil {
		client = http.DefaultClient //hardenvet:ignore clienttimeout every check runs under a context with its Timeout
	}
	u, err := url.Parse(rawURL)
	var setupErr error
	switch {
	case err != nil:
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// url.Error repeats the URL, password included.
			err = uerr.Err
		}
		setupErr = fmt.Errorf("health: GET: parse URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		setupErr = fmt.Errorf("health: GET %s: want an absolute http or https URL", u.Redacted())
	}
	var shown string
	if u != nil {
		shown = u.Redacted()
	}
	return func(ctx context.Context) error {
		if setupErr != nil {
			return setupErr
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return fmt.Errorf("health: GET %s: %w", shown, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			return fmt.Errorf("health: GET %s: %w", shown, err)
		}
		// Reading the body lets the connection be reused; a body longer
		// than 64 KiB costs a new connection, not an unbounded read.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		if resp.StatusCode == wantStatus || wantStatus == 0 && resp.StatusCode/100 == 2 {
			return nil
		}
		want := "2xx"
		if wantStatus != 0 {
			want = strconv.Itoa(wantStatus)
		}
		return fmt.Errorf("health: GET %s: status %d, want %s", shown, resp.StatusCode, want)
	}
}

// TCPDial returns a check function that opens a TCP connection to addr
// ("host:port") under the check's context and closes it at once.
func TCPDial(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("health: %w", err)
		}
		_ = conn.Close()
		return nil
	}
}
