package health

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestNewDefaults(t *testing.T) {
	for _, opts := range []*Options{nil, {}, {Timeout: -1, CacheTTL: -1, FailureThreshold: -1}} {
		c := New(opts)
		if c.opts.Timeout != DefaultTimeout || c.opts.CacheTTL != DefaultCacheTTL || c.threshold != 1 || c.opts.Logger != slog.Default() {
			t.Errorf("New(%v): timeout %v ttl %v threshold %d, want defaults", opts, c.opts.Timeout, c.opts.CacheTTL, c.threshold)
		}
		c.Close()
	}
}

func TestStatusChangesAreLoggedInOrderOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := errors.New("down")
		c, logs := newTestChecker(t, nil)
		mustAdd(t, c, Check{Name: "db", Critical: true, Func: sequence(nil, down, down, nil)})
		mustAdd(t, c, Check{Name: "cache", Func: sequence(down)})
		h := c.Handler()

		// Every step runs the checks once, then many probes hit the cache.
		for range 4 {
			for range 20 {
				serve(h, "GET", "/readyz", nil)
			}
			time.Sleep(DefaultCacheTTL)
		}
		// Checks run concurrently, so only the order per check is fixed.
		want := map[string][]string{
			"db": {
				`level=INFO msg="health: check passing" check=db from=none`,
				`level=ERROR msg="health: critical check failing" check=db from=pass error=down consecutive_failures=1`,
				`level=INFO msg="health: check passing" check=db from=fail`,
			},
			"cache": {
				`level=WARN msg="health: non-critical check failing" check=cache from=none error=down consecutive_failures=1`,
				`level=INFO msg="health: check passing" check=cache from=warn`,
			},
		}
		got := map[string][]string{}
		for line := range strings.Lines(logs.String()) {
			_, line, _ = strings.Cut(strings.TrimSpace(line), " ") // the time
			if strings.Contains(line, "check passing") || strings.Contains(line, "check failing") {
				check, _, _ := strings.Cut(line[strings.Index(line, "check=")+len("check="):], " ")
				got[check] = append(got[check], line)
			}
		}
		for name, w := range want {
			if !slices.Equal(got[name], w) {
				t.Errorf("%s changes logged:\n%s\nwant:\n%s", name, strings.Join(got[name], "\n"), strings.Join(w, "\n"))
			}
		}
		if n := logs.Count(`msg="health: check failed" check=db error=down consecutive_failures=2`); n != 1 {
			t.Errorf("a failure that changed nothing was logged %d times at debug, want once:\n%s", n, logs)
		}
	})
}
