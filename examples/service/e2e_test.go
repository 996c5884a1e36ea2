package main

// The end-to-end test builds the program and runs it as a real process on a
// loopback port, as a user would, then checks what a client and an operator
// see: status codes, problem bodies, headers, JSON log lines and the exit
// status.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hardenkit/harden/logx"
	"github.com/hardenkit/harden/result"
)

func TestServiceEndToEnd(t *testing.T) {
	bin := buildService(t)

	t.Run("bad configuration exits 2", func(t *testing.T) {
		cmd := exec.Command(bin)
		cmd.Env = serviceEnv("DEPENDENCY_FAILURE_RATE=1.7")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Fatalf("exit: %v, want exit status 2", err)
		}
		if got, want := stderr.String(), "config: DEPENDENCY_FAILURE_RATE=1.7: must be between 0 and 1\n"; got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
	})

	// The drain delay only needs to be long enough to see readiness go red.
	svc := startService(t, bin, []string{"SHUTDOWN_DRAIN_DELAY=2s"}, "-debug-routes")

	var created Project
	t.Run("create", func(t *testing.T) {
		resp, body := svc.do(t, "POST", "/projects", "application/json",
			`{"name": "Apollo", "slug": "apollo", "owner": "ada@example.com"}`, nil)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("status %d, want 201; body %s", resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, &created); err != nil {
			t.Fatal(err)
		}
		loc := resp.Header.Get("Location")
		if loc != "/projects/"+created.ID || created.Status != "draft" {
			t.Errorf("Location %q, project %+v", loc, created)
		}
		get, body := svc.do(t, "GET", loc, "", "", nil)
		var got Project
		if err := json.Unmarshal(body, &got); err != nil || get.StatusCode != 200 || got != created {
			t.Errorf("GET %s: %d %s", loc, get.StatusCode, body)
		}

		// The stand-in fails the first quota call, so the create was
		// retried: the retry's log line and the access line carry the
		// request ID the client got.
		id := resp.Header.Get("X-Request-ID")
		svc.logs.waitFor(t, "the retry line of the create", func(l logLine) bool {
			return l.str("msg") == "retry: attempt failed, retrying" && l.str("request_id") == id
		})
		access := svc.accessLine(t, id)
		if access.str("method") != "POST" || access.str("path") != "/projects" || access.num("status") != 201 {
			t.Errorf("access line %s", access.raw)
		}
	})

	t.Run("invalid body", func(t *testing.T) {
		p := svc.problem(t, "POST", "/projects", "application/json",
			`{"name": "Ap", "slug": "Apollo 11", "owner": "ada@", "status": "done"}`, 400)
		want := []string{"/name min", "/owner email", "/slug slug", "/status oneof"}
		if got := pointers(p); p.Code != result.CodeValidation || !slices.Equal(got, want) {
			t.Errorf("code %s, violations %q; want VALIDATION, %q", p.Code, got, want)
		}
		for _, v := range p.Errors {
			if v.Message == "" {
				t.Errorf("violation %+v has no message", v)
			}
		}
	})

	t.Run("unknown field", func(t *testing.T) {
		p := svc.problem(t, "POST", "/projects", "application/json",
			`{"name": "Gemini", "slug": "gemini", "owner": "ada@example.com", "colour": "red"}`, 400)
		if got := pointers(p); !slices.Equal(got, []string{"/colour unknown"}) {
			t.Errorf("violations %q, want the unknown member /colour", got)
		}
	})

	t.Run("oversized body", func(t *testing.T) {
		body := `{"name": "` + strings.Repeat("x", 64<<10) + `", "slug": "big", "owner": "ada@example.com"}`
		p := svc.problem(t, "POST", "/projects", "application/json", body, 413)
		if p.Code != result.CodePayloadTooLarge || p.Limit != maxCreateBody {
			t.Errorf("code %s, limit %d; want PAYLOAD_TOO_LARGE, %d", p.Code, p.Limit, maxCreateBody)
		}
	})

	t.Run("wrong content type", func(t *testing.T) {
		p := svc.problem(t, "POST", "/projects", "text/plain", "name=Apollo", 415)
		if p.Code != result.CodeUnsupportedMediaType {
			t.Errorf("code %s, want UNSUPPORTED_MEDIA_TYPE", p.Code)
		}
	})

	t.Run("missing id", func(t *testing.T) {
		p := svc.problem(t, "GET", "/projects/01a2019a-0000-7000-8000-000000000000", "", "", 404)
		if p.Code != result.CodeNotFound || p.Resource != "project" {
			t.Errorf("problem %+v, want NOT_FOUND for a project", p)
		}
	})

	t.Run("paging", func(t *testing.T) {
		resp, body := svc.do(t, "POST", "/projects", "application/json",
			`{"name": "Gemini", "slug": "gemini", "owner": "ada@example.com", "status": "active"}`, nil)
		if resp.StatusCode != 201 {
			t.Fatalf("second create: %d %s", resp.StatusCode, body)
		}
		var ids []string
		path := "/projects?limit=1"
		for range 3 {
			resp, body := svc.do(t, "GET", path, "", "", nil)
			var page projectPage
			if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != 200 || len(page.Items) != 1 {
				t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
			}
			ids = append(ids, page.Items[0].ID)
			if page.NextCursor == "" {
				break
			}
			path = "/projects?limit=1&cursor=" + page.NextCursor
		}
		if len(ids) != 2 || ids[0] != created.ID {
			t.Errorf("pages of one gave %v; want 2 projects, %s first", ids, created.ID)
		}
		p := svc.problem(t, "GET", "/projects?limit=500&cursor=bm9wZQ", "", "", 400)
		if got, want := pointers(p), []string{"/cursor format", "/limit max"}; !slices.Equal(got, want) {
			t.Errorf("violations %q, want %q", got, want)
		}
	})

	t.Run("method not allowed", func(t *testing.T) {
		resp, _ := svc.do(t, "DELETE", "/projects", "", "", nil)
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, POST" ||
			resp.Header.Get("Content-Type") != result.ContentTypeProblem {
			t.Errorf("DELETE /projects: %d, Allow %q, Content-Type %q", resp.StatusCode,
				resp.Header.Get("Allow"), resp.Header.Get("Content-Type"))
		}
	})

	t.Run("probes", func(t *testing.T) {
		for _, path := range []string{"/livez", "/readyz", "/healthz", "/startupz"} {
			resp, body := svc.do(t, "GET", path, "", "", nil)
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"pass"`) {
				t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
			}
		}
		svc.problem(t, "GET", "/nowhere", "", "", 404)
	})

	t.Run("panic", func(t *testing.T) {
		resp, body := svc.do(t, "GET", "/debug/panic", "", "", nil)
		p := decodeProblem(t, resp, body, 500)
		if p.Code != result.CodeInternal {
			t.Errorf("code %s, want INTERNAL", p.Code)
		}
		for _, leak := range []string{"deliberate", "panic:", "goroutine", "debug.go"} {
			if bytes.Contains(body, []byte(leak)) {
				t.Errorf("the response shows %q: %s", leak, body)
			}
		}
		id := resp.Header.Get("X-Request-ID")
		l := svc.logs.waitFor(t, "the panic's log line", func(l logLine) bool {
			return l.str("msg") == "panic serving request" && l.str("request_id") == id
		})
		if !strings.Contains(l.str("panic"), "deliberate panic") || !strings.Contains(l.str("stack"), "examples/service/debug.go") {
			t.Errorf("the panic's log line has no panic value or stack: %s", l.raw)
		}
		if access := svc.accessLine(t, id); access.num("status") != 500 || access.str("level") != "ERROR" {
			t.Errorf("access line %s; want status 500 at ERROR", access.raw)
		}
	})

	t.Run("request IDs", func(t *testing.T) {
		// Every line of a request carries the ID the client got.
		resp, _ := svc.do(t, "GET", "/projects/"+created.ID, "", "", nil)
		id := resp.Header.Get("X-Request-ID")
		if !logx.ValidRequestID(id) {
			t.Fatalf("X-Request-ID %q is not a valid ID", id)
		}
		svc.accessLine(t, id)

		// A valid ID from the client is kept, in the response and the logs.
		const mine = "client-chosen.id_42"
		resp, _ = svc.do(t, "GET", "/projects/"+created.ID, "", "", http.Header{"X-Request-Id": {mine}})
		if got := resp.Header.Get("X-Request-ID"); got != mine {
			t.Errorf("X-Request-ID %q, want the client's %q", got, mine)
		}
		svc.accessLine(t, mine)

		// Anything else is replaced, never echoed or logged.
		for _, evil := range []string{
			`forged", "level": "DEBUG`,
			"forged" + strings.Repeat("a", 200),
			"forged\u00e9",
		} {
			resp, _ = svc.do(t, "GET", "/projects/"+created.ID, "", "", http.Header{"X-Request-Id": {evil}})
			got := resp.Header.Get("X-Request-ID")
			if got == evil || !logx.ValidRequestID(got) || strings.Contains(got, "forged") {
				t.Errorf("sent X-Request-ID %q, got back %q; want a fresh ID", evil, got)
			}
			svc.accessLine(t, got)
		}
		for _, l := range svc.logs.snapshot() {
			if strings.Contains(l.raw, "forged") {
				t.Errorf("a rejected request ID reached the logs: %s", l.raw)
			}
		}
	})

	t.Run("graceful shutdown", func(t *testing.T) {
		testGracefulShutdown(t, svc)
	})

	for _, l := range svc.logs.snapshot() {
		if l.fields == nil {
			t.Errorf("stdout has a line that is not JSON: %q", l.raw)
		}
	}
	if strings.Contains(svc.stderr.String(), "DATA RACE") {
		t.Errorf("the race detector found a race in the service:\n%s", svc.stderr.String())
	}
}

// buildService builds the program into a temporary directory, with the race
// detector when the test has it, and returns the executable's path.
func buildService(t *testing.T) string {
	t.Helper()
	// go test puts its own toolchain's bin directory first on PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the service: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "service")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	args := []string{"build", "-o", exe}
	if raceEnabled() {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("built the service in %v (race detector: %v)", time.Since(start).Round(time.Millisecond), raceEnabled())
	return exe
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// serviceEnv is the test's environment without the service's settings, so
// a developer's own settings cannot change the test, plus extra.
func serviceEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(settingNames(), name) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// settingNames returns the environment variables the service reads.
func settingNames() (names []string) {
	_, _ = parseConfig(nil, func(k string) string { names = append(names, k); return "" }, io.Discard)
	return names
}

// service is the program running as a process.
type service struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:port
	client *http.Client
	logs   *logStream
	stderr *lockedBuffer

	exited  chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's error; read after exited is closed
}

// waitTimeout bounds every wait for the service. It is generous: the test
// usually waits milliseconds, but a loaded CI machine under -race can be
// slow, and a wait only ends early when the awaited thing happens.
const waitTimeout = 20 * time.Second

// startService starts the program on a free loopback port and waits until
// it is ready.
func startService(t *testing.T, bin string, env []string, args ...string) *service {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = serviceEnv(append([]string{"LISTEN_ADDR=127.0.0.1:0"}, env...)...)
	if raceEnabled() && os.Getenv("GORACE") == "" {
		// The race detector waits a second at exit for late reports; the
		// reports of this test's requests are long in by then.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=50")
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &service{
		cmd:    cmd,
		client: &http.Client{Transport: &http.Transport{}, Timeout: waitTimeout},
		logs:   newLogStream(),
		stderr: &lockedBuffer{},
		exited: make(chan struct{}),
	}
	cmd.Stderr = s.stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 8<<20) // a line with a stack is long
		for sc.Scan() {
			s.logs.add(sc.Text())
		}
		_, _ = io.Copy(io.Discard, stdout) // should Scan stop early, never block the process
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
		s.client.CloseIdleConnections()
		if t.Failed() {
			var b strings.Builder
			for _, l := range s.logs.snapshot() {
				b.WriteString(l.raw)
				b.WriteByte('\n')
			}
			t.Logf("service stdout:\n%s\nservice stderr:\n%s", b.String(), s.stderr.String())
		}
	})

	l := s.logs.waitFor(t, `the "listening" line`, func(l logLine) bool { return l.str("msg") == "listening" })
	s.base = "http://" + l.str("addr")
	s.poll(t, "readiness", func() bool {
		resp, err := s.client.Get(s.base + "/readyz")
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	t.Logf("the service was ready %v after it started, at %s", time.Since(start).Round(time.Millisecond), s.base)
	return s
}

// do sends a request and returns the response with its body read.
func (s *service) do(t *testing.T, method, path, contentType, body string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, b
}

// problem sends a request that must fail with status and returns its problem.
func (s *service) problem(t *testing.T, method, path, contentType, body string, status int) result.Problem {
	t.Helper()
	resp, b := s.do(t, method, path, contentType, body, nil)
	p := decodeProblem(t, resp, b, status)
	s.accessLine(t, resp.Header.Get("X-Request-ID"))
	return p
}

// decodeProblem checks that a response is a problem with the given status
// and the response's request ID, and decodes it.
func decodeProblem(t *testing.T, resp *http.Response, body []byte, status int) result.Problem {
	t.Helper()
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != result.ContentTypeProblem {
		t.Fatalf("status %d, Content-Type %q; want %d, %s; body %s", resp.StatusCode,
			resp.Header.Get("Content-Type"), status, result.ContentTypeProblem, body)
	}
	var p result.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %s: %v", body, err)
	}
	if id := resp.Header.Get("X-Request-ID"); p.Status != status || id == "" || p.RequestID != id {
		t.Errorf("problem status %d, request_id %q, X-Request-ID %q; want %d and the same ID twice",
			p.Status, p.RequestID, id, status)
	}
	return p
}

// accessLine waits for the access line of the request with the given ID,
// and checks that each line of that request carries the ID once, at the root.
func (s *service) accessLine(t *testing.T, id string) logLine {
	t.Helper()
	access := s.logs.waitFor(t, "the access line of request "+id, func(l logLine) bool {
		return l.str("msg") == "http request" && l.str("request_id") == id
	})
	key := `"request_id":"` + id + `"`
	for _, l := range s.logs.snapshot() {
		if n := strings.Count(l.raw, key); n > 1 || (n == 1 && l.str("request_id") != id) {
			t.Errorf("a log line carries request ID %s %d times, or not at the root: %s", id, n, l.raw)
		}
	}
	return access
}

// poll calls ok every few milliseconds until it returns true.
func (s *service) poll(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, waitTimeout)
		}
		select {
		case <-tick.C:
		case <-s.exited:
			t.Fatalf("the service exited (%v) while waiting for %s", s.waitErr, what)
		}
	}
}

// logLine is one line of the service's stdout.
type logLine struct {
	raw    string
	fields map[string]any // nil if the line is not a JSON object
}

func (l logLine) str(key string) string  { s, _ := l.fields[key].(string); return s }
func (l logLine) num(key string) float64 { n, _ := l.fields[key].(float64); return n }

// logStream collects the service's log lines as they arrive.
type logStream struct {
	mu      sync.Mutex
	lines   []logLine
	changed chan struct{} // closed and replaced when a line arrives
}

func newLogStream() *logStream { return &logStream{changed: make(chan struct{})} }

func (s *logStream) add(raw string) {
	l := logLine{raw: raw}
	if err := json.Unmarshal([]byte(raw), &l.fields); err != nil {
		l.fields = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, l)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *logStream) snapshot() []logLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lines)
}

// waitFor returns the first line that matches, waiting for it if needed.
func (s *logStream) waitFor(t *testing.T, what string, match func(logLine) bool) logLine {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		i := slices.IndexFunc(s.lines, match)
		var l logLine
		if i >= 0 {
			l = s.lines[i]
		}
		changed := s.changed
		s.mu.Unlock()
		if i >= 0 {
			return l
		}
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("no log line: %s, after %v", what, waitTimeout)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
