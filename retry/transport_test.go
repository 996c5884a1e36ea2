package retry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/hardenkit/harden/result"
)

// scripted is a test server that answers each request with the next status
// in its script (the last one repeats), records the bodies it received and
// counts the connections it accepted.
type scripted struct {
	*httptest.Server
	mu      sync.Mutex
	script  []int
	headers []http.Header // extra response headers per step, if any
	bodies  []string
	hits    int
	conns   atomic.Int64
}

func newScripted(t *testing.T, script ...int) *scripted {
	t.Helper()
	s := &scripted{script: script}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *scripted) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := min(s.hits, len(s.script)-1)
	s.hits++
	n := s.hits
	s.bodies = append(s.bodies, string(body))
	var h http.Header
	if i < len(s.headers) {
		h = s.headers[i]
	}
	s.mu.Unlock()
	for k, v := range h {
		w.Header()[k] = v
	}
	w.WriteHeader(s.script[i])
	// A body large enough that the connection is reused only if the
	// transport drains it.
	_, _ = io.WriteString(w, strings.Repeat("x", 8<<10)+" attempt "+strconv.Itoa(n))
}

func (s *scripted) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

func (s *scripted) Bodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// client returns an http.Client whose Transport retries under p, and closes
// its idle connections when the test ends.
func client(t *testing.T, p Policy) *http.Client {
	t.Helper()
	base := &http.Transport{}
	c := &http.Client{Transport: Transport(base, p)}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// zeroPolicy is a quiet policy without delays, for tests against a real
// server, where testing/synctest cannot make waits instant.
func zeroPolicy() Policy {
	return Policy{Logger: quiet, Schedule: func() backoff.BackOff { return &backoff.ZeroBackOff{} }}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestTransportRetriesStatuses(t *testing.T) {
	for _, status := range []int{408, 429, 502, 503, 504} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv := newScripted(t, status, status, 200)
			p, delays := testPolicy()
			p.Schedule = zeroPolicy().Schedule
			resp, err := client(t, p).Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != 200 || !strings.HasSuffix(body, "attempt 3") || srv.Hits() != 3 {
				t.Errorf("got %d %q after %d hits, want 200 from attempt 3", resp.StatusCode, body[len(body)-9:], srv.Hits())
			}
			if n := srv.conns.Load(); n != 1 {
				t.Errorf("%d connections, want 1: discarded responses were not drained", n)
			}
			if d := *delays; len(d) != 2 {
				t.Errorf("delays %v, want 2", d)
			}
		})
	}
}

func TestTransportDoesNotRetryOtherStatuses(t *testing.T) {
	for _, status := range []int{200, 201, 304, 400, 401, 404, 409, 500, 501} {
		srv := newScripted(t, status, 200)
		resp, err := client(t, zeroPolicy()).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		if resp.StatusCode != status || srv.Hits() != 1 {
			t.Errorf("status %d: got %d after %d hits, want it returned after 1", status, resp.StatusCode, srv.Hits())
		}
	}
}

func TestTransportClassifyStatus(t *testing.T) {
	srv := newScripted(t, 500, 503, 200)
	p := zeroPolicy()
	var seen []int
	p.Classify = func(err error) Decision {
		var hs interface{ HTTPStatus() int }
		if errors.As(err, &hs) {
			seen = append(seen, hs.HTTPStatus())
			switch hs.HTTPStatus() {
			case 500:
				return DecisionRetry
			case 503:
				return DecisionStop
			}
		}
		return DecisionDefault
	}
	resp, err := client(t, p).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != 503 || srv.Hits() != 2 || len(seen) != 2 {
		t.Errorf("got %d after %d hits (classified %v), want 503 after 2", resp.StatusCode, srv.Hits(), seen)
	}
}

// answering returns a base transport that answers with the given statuses
// in turn (the last one repeats), each with header h if set, and no
// network: a testing/synctest bubble can run it.
func answering(h http.Header, statuses ...int) (http.RoundTripper, *int) {
	calls := 0
	return funcTransport(func(r *http.Request) (*http.Response, error) {
		status := statuses[min(calls, len(statuses)-1)]
		calls++
		return &http.Response{StatusCode: status, Header: h.Clone(), Request: r,
			Body: io.NopCloser(strings.NewReader("attempt " + strconv.Itoa(calls)))}, nil
	}), &calls
}

func TestTransportRetryAfter(t *testing.T) {
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // when every testing/synctest bubble starts
	tests := []struct {
		name      string
		value     string
		maxHint   time.Duration
		wantDelay time.Duration
	}{
		{"seconds", "2", 0, 2 * time.Second},
		{"http date", epoch.Add(3 * time.Second).Format(http.TimeFormat), 0, 3 * time.Second},
		{"bounded seconds", "7200", 10 * time.Second, 10 * time.Second},
		{"bounded date", epoch.Add(48 * time.Hour).Format(http.TimeFormat), 0, DefaultMaxRetryAfter},
		{"malformed", "soon", 0, 5 * time.Millisecond}, // the schedule's delay
	}
	for _, tt := range tests {
		synctest.Test(t, func(t *testing.T) {
			base, calls := answering(http.Header{"Retry-After": {tt.value}}, 429, 200)
			p, delays := testPolicy()
			p.MaxRetryAfter = tt.maxHint
			p.Schedule = func() backoff.BackOff { return backoff.NewConstantBackOff(5 * time.Millisecond) }
			req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
			resp, err := Transport(base, p).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			if d := *delays; resp.StatusCode != 200 || *calls != 2 || len(d) != 1 || d[0] != tt.wantDelay || time.Since(epoch) != tt.wantDelay {
				t.Errorf("%s: got %d after %d calls with delays %v in %v, want 200 after a delay of %v",
					tt.name, resp.StatusCode, *calls, d, time.Since(epoch), tt.wantDelay)
			}
		})
	}
}

func TestTransportRetryAfterPastDeadline(t *testing.T) {
	p, delays := testPolicy()
	srv := newScripted(t, 429, 200)
	srv.headers = []http.Header{{"Retry-After": {"30"}}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := client(t, p).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != 429 || srv.Hits() != 1 || len(*delays) != 0 || !strings.HasSuffix(body, "attempt 1") {
		t.Errorf("got %d after %d hits, delays %v; want the 429 at once", resp.StatusCode, srv.Hits(), *delays)
	}
	if resp.Header.Get("Retry-After") != "30" {
		t.Error("the returned response lost its Retry-After header")
	}
}

func TestTransportExhaustedReturnsLastResponse(t *testing.T) {
	srv := newScripted(t, 503)
	p := zeroPolicy()
	p.MaxAttempts = 3
	resp, err := client(t, p).Get(srv.URL)
	if err != nil {
		t.Fatalf("Get = %v, want the last response and no error", err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != 503 || srv.Hits() != 3 || !strings.HasSuffix(body, "attempt 3") {
		t.Errorf("got %d %q after %d hits, want the third 503 with its body", resp.StatusCode, body[len(body)-9:], srv.Hits())
	}
	// The response converts to a result error with the upstream's code.
	if err := result.FromResponse(resp); result.CodeOf(err) != result.CodeUnavailable {
		t.Errorf("FromResponse = %v, want UNAVAILABLE", err)
	}
}

func TestTransportIdempotency(t *testing.T) {
	tests := []struct {
		method string
		key    string
		retry  bool
	}{
		{http.MethodGet, "", true},
		{http.MethodHead, "", true},
		{http.MethodOptions, "", true},
		{http.MethodTrace, "", true},
		{http.MethodPut, "", true},
		{http.MethodDelete, "", true},
		{http.MethodPost, "", false},
		{http.MethodPatch, "", false},
		{http.MethodPost, "order-42", true},
		{http.MethodPatch, "order-42", true},
	}
	for _, tt := range tests {
		t.Run(tt.method+"/"+tt.key, func(t *testing.T) {
			srv := newScripted(t, 503, 200)
			var body io.Reader
			if tt.method != http.MethodHead && tt.method != http.MethodTrace {
				body = strings.NewReader(`{"amount":42}`)
			}
			req, _ := http.NewRequest(tt.method, srv.URL, body)
			if tt.key != "" {
				req.Header.Set(HeaderIdempotencyKey, tt.key)
			}
			resp, err := client(t, zeroPolicy()).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			wantHits, wantStatus := 1, 503
			if tt.retry {
				wantHits, wantStatus = 2, 200
			}
			if srv.Hits() != wantHits || resp.StatusCode != wantStatus {
				t.Errorf("got %d after %d hits, want %d after %d", resp.StatusCode, srv.Hits(), wantStatus, wantHits)
			}
			if body != nil {
				for i, b := range srv.Bodies() {
					if b != `{"amount":42}` {
						t.Errorf("attempt %d sent body %q", i+1, b)
					}
				}
			}
		})
	}
}

func TestTransportBodyRewound(t *testing.T) {
	srv := newScripted(t, 502, 503, 201)
	payload := strings.Repeat("order line\n", 1000)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewBufferString(payload))
	req.Header.Set(HeaderIdempotencyKey, "k-1")
	gets := 0
	getBody := req.GetBody
	req.GetBody = func() (io.ReadCloser, error) { gets++; return getBody() }
	resp, err := client(t, zeroPolicy()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	bodies := srv.Bodies()
	if resp.StatusCode != 201 || len(bodies) != 3 {
		t.Fatalf("got %d after %d attempts, want 201 after 3", resp.StatusCode, len(bodies))
	}
	for i, b := range bodies {
		if b != payload {
			t.Errorf("attempt %d sent %d bytes, want the full %d", i+1, len(b), len(payload))
		}
	}
	if gets < 2 {
		t.Errorf("GetBody called %d times, want at least 2", gets)
	}
}

func TestTransportUnreplayableBodySentOnce(t *testing.T) {
	srv := newScripted(t, 503, 200)
	req, _ := http.NewRequest(http.MethodPut, srv.URL, io.NopCloser(strings.NewReader("stream")))
	req.GetBody = nil
	resp, err := client(t, zeroPolicy()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != 503 || srv.Hits() != 1 || srv.Bodies()[0] != "stream" {
		t.Errorf("got %d after %d hits, want the 503 after 1", resp.StatusCode, srv.Hits())
	}

	// http.NoBody needs no GetBody.
	srv = newScripted(t, 503, 200)
	req, _ = http.NewRequest(http.MethodPut, srv.URL, http.NoBody)
	req.GetBody = nil
	resp, err = client(t, zeroPolicy()).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != 200 || srv.Hits() != 2 {
		t.Errorf("NoBody: got %d after %d hits, want 200 after 2", resp.StatusCode, srv.Hits())
	}
}

func TestTransportGetBodyFails(t *testing.T) {
	srv := newScripted(t, 503, 200)
	req, _ := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader("x"))
	bad := errors.New("spool gone")
	req.GetBody = func() (io.ReadCloser, error) { return nil, bad }
	_, err := Transport(nil, zeroPolicy()).RoundTrip(req)
	if !errors.Is(err, bad) || asError(t, err).Reason != ReasonPermanent || srv.Hits() != 1 {
		t.Errorf("RoundTrip = %v after %d hits, want the GetBody error after 1", err, srv.Hits())
	}
	if !strings.Contains(err.Error(), ": rewind the body of PUT "+srv.URL+": spool gone") || strings.Count(err.Error(), "retry:") != 1 {
		t.Errorf("error %q does not say what failed", err)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

// flakyTransport fails its first n round trips with err.
type flakyTransport struct {
	n     int
	err   error
	calls int
	reqs  []*http.Request
	next  http.RoundTripper
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.calls++
	f.reqs = append(f.reqs, r)
	if f.calls <= f.n {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, f.err
	}
	return f.next.RoundTrip(r)
}

func TestTransportConnectionErrors(t *testing.T) {
	srv := newScripted(t, 200)
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	base := &flakyTransport{n: 2, err: refused, next: srv.Client().Transport}
	resp, err := (&http.Client{Transport: Transport(base, zeroPolicy())}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.StatusCode != 200 || base.calls != 3 {
		t.Errorf("got %d after %d calls, want 200 after 3", resp.StatusCode, base.calls)
	}

	base = &flakyTransport{n: 100, err: refused}
	p := zeroPolicy()
	p.MaxAttempts = 3
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
	resp, err = Transport(base, p).RoundTrip(req)
	if resp != nil || base.calls != 3 {
		t.Errorf("got a response %v after %d calls, want none after 3", resp, base.calls)
	}
	var op *net.OpError
	if e := asError(t, err); e.Reason != ReasonExhausted || !errors.As(err, &op) {
		t.Errorf("RoundTrip = %v, want exhausted, unwrapping to the *net.OpError", err)
	}
	srv.Client().CloseIdleConnections()
}

func TestTransportBadCertificateNotRetried(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	defer srv.Close()
	base := &http.Transport{} // does not trust the test server's certificate
	defer base.CloseIdleConnections()
	calls := 0
	counting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return base.RoundTrip(r)
	})
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	_, err := Transport(counting, zeroPolicy()).RoundTrip(req)
	var unknown x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	if calls != 1 || asError(t, err).Reason != ReasonPermanent || !(errors.As(err, &unknown) || errors.As(err, &verify)) {
		t.Errorf("RoundTrip = %v after %d calls, want the certificate error after 1", err, calls)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportDoesNotTouchRequest(t *testing.T) {
	srv := newScripted(t, 503, 503, 200)
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+"/a?b=c", strings.NewReader("body"))
	req.Header.Set("X-Test", "1")
	body := req.Body
	base := &flakyTransport{next: &http.Transport{}}
	t.Cleanup(base.next.(*http.Transport).CloseIdleConnections)
	resp, err := Transport(base, zeroPolicy()).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if req.Body != body || req.Context() != ctx || len(req.Header) != 1 || req.Header.Get("X-Test") != "1" || req.URL.String() != srv.URL+"/a?b=c" {
		t.Errorf("the caller's request changed: %+v", req)
	}
	seen := map[*http.Request]bool{req: true}
	for i, r := range base.reqs {
		if seen[r] {
			t.Errorf("attempt %d reused a request", i+1)
		}
		seen[r] = true
		if r.Context().Value(ctxKey{}) != "v" {
			t.Errorf("attempt %d lost the request's context", i+1)
		}
	}
}

func TestTransportContextCancelledMidSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var bodies []*closeRecorder
		base := funcTransport(func(r *http.Request) (*http.Response, error) {
			bodies = append(bodies, &closeRecorder{Reader: strings.NewReader("busy")})
			return &http.Response{StatusCode: 503, Header: http.Header{}, Body: bodies[len(bodies)-1], Request: r}, nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://example.invalid/", nil)
		p, delays := testPolicy()
		p.Schedule = func() backoff.BackOff { return backoff.NewConstantBackOff(time.Hour) }
		type out struct {
			resp *http.Response
			err  error
		}
		done := make(chan out, 1)
		go func() {
			resp, err := Transport(base, p).RoundTrip(req)
			done <- out{resp, err}
		}()
		synctest.Wait() // the transport is waiting
		if len(*delays) != 1 || len(bodies) != 1 || !bodies[0].closed {
			t.Fatalf("waiting with delays %v after %d responses, want one, closed, and 1h", *delays, len(bodies))
		}
		cancel()
		o := <-done
		if o.resp != nil {
			t.Errorf("got a response %d, want none: it was drained before the wait", o.resp.StatusCode)
		}
		if !errors.Is(o.err, context.Canceled) {
			t.Errorf("RoundTrip = %v, want context.Canceled", o.err)
		}
	})
}

func TestTransportContextDoneBeforeFirstAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "http://example.invalid/", body)
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }
	base := &flakyTransport{}
	resp, err := Transport(base, zeroPolicy()).RoundTrip(req)
	if resp != nil || !errors.Is(err, context.Canceled) || base.calls != 0 {
		t.Errorf("RoundTrip = %v, %v after %d calls; want context.Canceled, no call", resp, err, base.calls)
	}
	if !body.closed {
		t.Error("the request body was not closed")
	}

	// An invalid policy fails every request the same way, with its own
	// error, even one that would not be retried.
	for _, method := range []string{http.MethodPut, http.MethodPost} {
		req, _ = http.NewRequest(method, "http://example.invalid/", body)
		body.closed = false
		_, err = Transport(base, Policy{Multiplier: 0.1}).RoundTrip(req)
		if err == nil || !strings.Contains(err.Error(), "Multiplier") || !body.closed || base.calls != 0 {
			t.Errorf("%s with an invalid policy = %v (body closed %v)", method, err, body.closed)
		}
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestTransportBudgetStorm(t *testing.T) {
	srv := newScripted(t, 503)
	p := zeroPolicy()
	p.Schedule = func() backoff.BackOff { return &backoff.ZeroBackOff{} }
	p.Budget = NewBudget(&BudgetOptions{Ratio: 0.1, Burst: 3, MinPerSecond: -1})
	c := client(t, p)
	const calls = 40
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			resp, err := c.Get(srv.URL)
			if err != nil {
				t.Error(err)
				return
			}
			readAll(t, resp)
			if resp.StatusCode != 503 {
				t.Errorf("status %d, want 503", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	// Without the budget: 160 requests. With it: 40 + 3 + 10% of 40.
	if hits := srv.Hits(); hits < calls || hits > calls+3+4 {
		t.Errorf("the server saw %d requests for %d calls, want at most %d", hits, calls, calls+7)
	}
}

func TestTransportAttemptTimeout(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1: // hang until the attempt times out
			<-r.Context().Done()
		case 2: // the body arrives after RoundTrip has returned
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			time.Sleep(30 * time.Millisecond)
			_, _ = io.WriteString(w, "late body")
		default: // the body never ends
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	p := zeroPolicy()
	p.AttemptTimeout = 200 * time.Millisecond
	retried := 0
	p.OnRetry = func(context.Context, Attempt) { retried++ }
	c := client(t, p)

	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); got != "late body" || retried != 1 || hits.Load() != 2 {
		t.Errorf("body %q after %d retries and %d hits, want the late body after 1 retry", got, retried, hits.Load())
	}

	// The attempt's deadline covers reading the body.
	resp, err = c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("reading an endless body ended with %v after %v, want the attempt's deadline", err, time.Since(start))
	}
	srv.CloseClientConnections()
}

func TestTransportCloseIdleConnections(t *testing.T) {
	base := &idleCloser{}
	Transport(base, Policy{}).(interface{ CloseIdleConnections() }).CloseIdleConnections()
	if !base.closed {
		t.Error("CloseIdleConnections was not passed on")
	}
	// A base without the method is fine too.
	Transport(&flakyTransport{}, Policy{}).(interface{ CloseIdleConnections() }).CloseIdleConnections()
}

type idleCloser struct {
	flakyTransport
	closed bool
}

func (c *idleCloser) CloseIdleConnections() { c.closed = true }

func TestStatusError(t *testing.T) {
	e := &statusError{endpoint: "GET http://api.example.com/v1/items", status: 503, after: time.Second}
	if e.Error() != "GET http://api.example.com/v1/items: 503 Service Unavailable" || e.HTTPStatus() != 503 || !e.Retryable() || e.RetryAfter() != time.Second {
		t.Errorf("statusError = %q %d %v %v", e, e.HTTPStatus(), e.Retryable(), e.RetryAfter())
	}
	// Method "" means GET; user info, query and fragment may hold secrets and stay out.
	u, _ := url.Parse("http://user:pw@api.example.com/v1/items?token=s3cret#frag")
	req := &http.Request{URL: u}
	base, _ := answering(http.Header{"Retry-After": {"nonsense"}}, 429)
	_, err := Transport(base, Policy{}).(*transport).send(context.Background(), req, 1, endpointOf(req))
	if se, ok := errors.AsType[*statusError](err); !ok || se.Error() != "GET http://api.example.com/v1/items: 429 Too Many Requests" || se.RetryAfter() != 0 {
		t.Errorf("send = %v, want a 429 statusError without a delay", err)
	}
	for status, want := range map[int]bool{408: true, 429: true, 500: false, 501: false, 502: true, 504: true, 507: false} {
		if got := (&statusError{status: status}).Retryable(); got != want {
			t.Errorf("status %d: Retryable = %v, want %v", status, got, want)
		}
	}
}

// upgradedConn stands for the io.ReadWriteCloser net/http returns as the
// body of a 101 response.
type upgradedConn struct{ io.Reader }

func (upgradedConn) Write(p []byte) (int, error) { return len(p), nil }
func (upgradedConn) Close() error                { return nil }

// A protocol upgrade goes to base once and untouched, even with an
// AttemptTimeout: wrapping the 101 body would hide its io.Writer, and the
// attempt's deadline would cut the upgraded connection.
func TestTransportLeavesUpgradesAlone(t *testing.T) {
	conn := upgradedConn{strings.NewReader("")}
	var got []*http.Request
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r)
		return &http.Response{StatusCode: http.StatusSwitchingProtocols, Header: http.Header{}, Body: conn}, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "http://example.com/ws", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	resp, err := Transport(base, Policy{AttemptTimeout: time.Second, Logger: quiet}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != req {
		t.Errorf("base saw %d requests (same as the caller's: %v), want the caller's request once", len(got), len(got) == 1 && got[0] == req)
	}
	if _, ok := resp.Body.(io.ReadWriteCloser); !ok || resp.Body != io.ReadCloser(conn) {
		t.Errorf("the 101 body is %T, want the upgraded connection itself", resp.Body)
	}
}

// A request no transport can send is an error, not a panic, and its body is
// closed; nothing reaches the base transport.
func TestTransportInvalidRequest(t *testing.T) {
	u, _ := url.Parse("http://example.invalid/")
	tests := []struct {
		name string
		req  *http.Request
		want string
	}{
		{"nil request", nil, "retry: nil Request"},
		{"nil URL", &http.Request{Method: http.MethodGet, Header: http.Header{}}, "retry: invalid Request: nil URL"},
		{"nil URL, POST", &http.Request{Method: http.MethodPost, Header: http.Header{}}, "retry: invalid Request: nil URL"},
		{"nil Header", &http.Request{Method: http.MethodGet, URL: u}, "retry: invalid Request: nil Header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &closeRecorder{Reader: strings.NewReader("x")}
			if tt.req != nil {
				tt.req.Body = body
			}
			base := &flakyTransport{}
			resp, err := Transport(base, zeroPolicy()).RoundTrip(tt.req)
			if resp != nil || err == nil || err.Error() != tt.want {
				t.Errorf("RoundTrip = %v, %v; want %q", resp, err, tt.want)
			}
			if base.calls != 0 {
				t.Errorf("base called %d times, want 0", base.calls)
			}
			if tt.req != nil && !body.closed {
				t.Error("the request body was not closed")
			}
		})
	}
}

// A base transport that breaks the RoundTripper contract with a nil
// response and a nil error gets an error that names it, not a panic and
// not a retry.
func TestTransportNilResponse(t *testing.T) {
	base := &flakyTransport{n: 1}
	req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/x?secret=1", nil)
	resp, err := Transport(base, zeroPolicy()).RoundTrip(req)
	if resp != nil || err == nil || base.calls != 1 {
		t.Fatalf("RoundTrip = %v, %v after %d calls; want an error after 1", resp, err, base.calls)
	}
	want := "*retry.flakyTransport returned a nil *http.Response and a nil error for GET http://example.invalid/x"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

// A discarded response whose body stalls is abandoned after a short drain:
// RoundTrip answers long before the request's deadline instead of waiting
// on a body it throws away.
func TestTransportDrainStalledBody(t *testing.T) {
	for _, tt := range []struct {
		name          string
		contentLength string // declared length, if any
	}{
		{"chunked", ""},
		{"short declared length", "100"},
		{"long declared length", strconv.Itoa(1 << 20)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tt.contentLength != "" {
					w.Header().Set("Content-Length", tt.contentLength)
				}
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "partial")
				w.(http.Flusher).Flush()
				select { // the rest of the body never comes
				case <-release:
				case <-r.Context().Done():
				}
			}))
			defer srv.Close()
			defer close(release)
			base := &http.Transport{}
			defer base.CloseIdleConnections()

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
			p := Policy{Logger: quiet, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond}
			start := time.Now()
			resp, err := Transport(base, p).RoundTrip(req)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || hits.Load() != DefaultMaxAttempts {
				t.Errorf("got %d after %d attempts, want the last 503 after %d", resp.StatusCode, hits.Load(), DefaultMaxAttempts)
			}
			if took > 5*time.Second {
				t.Errorf("RoundTrip took %v, want well under the 10s deadline", took)
			}
		})
	}
}

// funcTransport is an http.RoundTripper made of a function.
type funcTransport func(*http.Request) (*http.Response, error)

func (f funcTransport) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A response without a Body or a Header, as a hand-written base transport
// may return, is retried and returned without a panic, with or without an
// AttemptTimeout.
func TestTransportResponseWithoutBody(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Minute} {
		calls := 0
		base := funcTransport(func(r *http.Request) (*http.Response, error) {
			calls++
			if calls < 3 {
				return &http.Response{StatusCode: http.StatusServiceUnavailable, Request: r}, nil
			}
			return &http.Response{StatusCode: http.StatusOK, Request: r}, nil
		})
		p := zeroPolicy()
		p.AttemptTimeout = timeout
		req, _ := http.NewRequest(http.MethodGet, "http://example.invalid/", nil)
		resp, err := Transport(base, p).RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK || resp.Body != nil || calls != 3 {
			t.Errorf("AttemptTimeout %v: RoundTrip = %v, %v after %d calls; want the bodiless 200 after 3", timeout, resp, err, calls)
		}
	}
}

// A request that base refuses to send fails the same way on every attempt,
// so it is sent once, and the error says why.
func TestTransportUnsendableRequestSentOnce(t *testing.T) {
	request := func(rawURL string, header http.Header) *http.Request {
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		return &http.Request{Method: http.MethodGet, URL: u, Header: header}
	}
	tests := []struct {
		name string
		req  *http.Request
		want string
	}{
		{"unsupported scheme", request("ftp://example.invalid/f", http.Header{}), `unsupported protocol scheme "ftp"`},
		{"no scheme", request("//example.invalid/f", http.Header{}), `unsupported protocol scheme ""`},
		{"invalid header name", request("http://example.invalid/", http.Header{"Bad Name": {"x"}}), `invalid header field name "Bad Name"`},
		{"invalid header value", request("http://example.invalid/", http.Header{"X-Note": {"a\nb"}}), `invalid header field value for "X-Note"`},
		{"URL without host", request("http:///path", http.Header{}), "no Host in request URL"},
		{"malformed port", request("http://127.0.0.1:99999/", http.Header{}), "invalid port"},
	}
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			counting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				calls++
				return base.RoundTrip(r)
			})
			resp, err := Transport(counting, zeroPolicy()).RoundTrip(tt.req)
			if resp != nil || calls != 1 {
				t.Fatalf("RoundTrip = %v, %v after %d calls; want an error after 1", resp, err, calls)
			}
			if e := asError(t, err); e.Reason != ReasonPermanent || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RoundTrip = %v (%s), want a permanent error saying %s", err, e.Reason, tt.want)
			}
		})
	}
}
