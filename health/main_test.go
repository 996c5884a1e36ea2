package health

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) Count(s string) int { return strings.Count(b.String(), s) }

// newTestChecker returns a Checker that logs to the returned buffer,
// closed when the test ends.
func newTestChecker(t testing.TB, opts *Options) (*Checker, *logBuffer) {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	logs := &logBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c := New(opts)
	t.Cleanup(c.Close)
	return c, logs
}

// mustAdd adds ch or fails the test.
func mustAdd(t testing.TB, c *Checker, ch Check) {
	t.Helper()
	if err := c.Add(ch); err != nil {
		t.Fatalf("Add(%q): %v", ch.Name, err)
	}
}

// report runs Report and fails the test on error.
func report(t testing.TB, c *Checker, p Probe) Report {
	t.Helper()
	r, err := c.Report(context.Background(), p)
	if err != nil {
		t.Fatalf("Report(%v): %v", p, err)
	}
	return r
}

// hang returns a check function that ignores its context and blocks
// until the test ends, counting its calls in calls.
func hang(t testing.TB, calls *atomic.Int64) func(context.Context) error {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return func(context.Context) error {
		calls.Add(1)
		<-release
		return nil
	}
}

// changesOf subscribes to c's changes for the rest of the test.
func changesOf(t testing.TB, c *Checker) <-chan Change {
	ch := make(chan Change, 100)
	t.Cleanup(c.Subscribe(func(x Change) { ch <- x }))
	return ch
}
