package health

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
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

func TestStatusChangesAreDeliveredInOrderOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := errors.New("down")
		c, logs := newTestChecker(t, nil)
		changes := changesOf(t, c)
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
		want := []Change{
			{Check: "db", Critical: true, From: "", To: StatusPass},
			{Check: "cache", From: "", To: StatusWarn, Err: down},
			{Check: "db", Critical: true, From: StatusPass, To: StatusFail, Err: down},
			{Check: "cache", From: StatusWarn, To: StatusPass},
			{Check: "db", Critical: true, From: StatusFail, To: StatusPass},
		}
		var got []Change
		for range want {
			got = append(got, next(t, changes))
		}
		if extra := drain(changes); len(extra) > 0 {
			t.Errorf("unexpected changes: %+v", extra)
		}
		// Checks run concurrently, so only the order per check is fixed.
		for _, name := range []string{"db", "cache"} {
			g, w := only(got, name), only(want, name)
			if len(g) != len(w) {
				t.Fatalf("%s changes = %+v, want %+v", name, g, w)
			}
			for i := range w {
				if g[i].From != w[i].From || g[i].To != w[i].To || g[i].Critical != w[i].Critical || !errors.Is(g[i].Err, w[i].Err) || (w[i].Err == nil) != (g[i].Err == nil) {
					t.Errorf("%s change %d = %+v, want %+v", name, i, g[i], w[i])
				}
				if g[i].Time.IsZero() {
					t.Errorf("%s change %d has no time", name, i)
				}
			}
		}
		out := logs.String()
		for msg, n := range map[string]int{
			"health: check passing":              3,
			"health: critical check failing":     1,
			"health: non-critical check failing": 1,
		} {
			if got := strings.Count(out, `msg="`+msg+`"`); got != n {
				t.Errorf("logged %q %d times, want %d:\n%s", msg, got, n, out)
			}
		}
		if !strings.Contains(out, "level=ERROR msg=\"health: critical check failing\" check=db from=pass error=down") {
			t.Errorf("critical failure not logged at ERROR with its error:\n%s", out)
		}
	})
}

// next waits for the next change; delivery follows the probe's answer.
func next(t *testing.T, ch <-chan Change) Change {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no status change delivered")
		return Change{}
	}
}

func drain(ch <-chan Change) []Change {
	var out []Change
	for {
		select {
		case c := <-ch:
			out = append(out, c)
		default:
			return out
		}
	}
}

func only(cs []Change, name string) []Change {
	var out []Change
	for _, c := range cs {
		if c.Check == name {
			out = append(out, c)
		}
	}
	return out
}

func TestUnsubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		first := make(chan Change, 10)
		unsub := c.Subscribe(func(ch Change) { first <- ch })
		mustAdd(t, c, Check{Name: "db", Func: sequence(nil, errors.New("down"))})
		report(t, c, Readiness)
		next(t, first)
		unsub()
		unsub()
		// Listeners are called in the order they subscribed: once the later
		// one has the second change, the first would have had it too.
		later := changesOf(t, c)
		time.Sleep(DefaultCacheTTL)
		report(t, c, Readiness)
		if ch := next(t, later); ch.To != StatusWarn {
			t.Fatalf("second change = %+v, want to warn", ch)
		}
		if extra := drain(first); len(extra) > 0 {
			t.Errorf("unsubscribed listener got %+v", extra)
		}
		c.Subscribe(nil)() // a nil listener is ignored
	})
}

func TestListenerPanicIsContained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, logs := newTestChecker(t, nil)
		c.Subscribe(func(Change) { panic("listener bug") })
		got := changesOf(t, c)
		mustAdd(t, c, Check{Name: "db", Func: pass})
		if r := report(t, c, Readiness); r.Status != StatusPass {
			t.Fatalf("status = %q, want pass", r.Status)
		}
		next(t, got) // a panicking listener does not keep the next one from its change
		if !strings.Contains(logs.String(), "listener panicked") || !strings.Contains(logs.String(), "listener bug") {
			t.Errorf("listener panic not logged:\n%s", logs)
		}
	})
}

func TestListenerSeesChangesOfConcurrentChecksSerially(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		var mu sync.Mutex
		inside := false
		overlap := false
		changes := 0
		c.Subscribe(func(Change) {
			mu.Lock()
			changes++
			if inside {
				overlap = true
			}
			inside = true
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inside = false
			mu.Unlock()
		})
		for _, name := range []string{"a", "b", "c", "d"} {
			mustAdd(t, c, Check{Name: name, Func: sequence(nil, errors.New("x"), nil, errors.New("x"))})
		}
		// Each round runs the four checks concurrently, from eight probes.
		for range 4 {
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					if _, err := c.Report(context.Background(), Readiness); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			time.Sleep(DefaultCacheTTL)
		}
		mu.Lock()
		defer mu.Unlock()
		if overlap {
			t.Error("listener was called concurrently")
		}
		if changes != 16 {
			t.Errorf("listener saw %d changes, want 16 (4 checks changed 4 times)", changes)
		}
	})
}
