package health

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func pass(context.Context) error { return nil }

func TestAddRejectsBadChecks(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "db", Func: pass})
	tests := []struct {
		name  string
		check Check
		want  string
	}{
		{"empty name", Check{Func: pass}, `health: add check "": empty name`},
		{"space", Check{Name: "my db", Func: pass}, `name has ' ' at byte 2`},
		{"slash", Check{Name: "a/b", Func: pass}, `name has '/' at byte 1`},
		{"long", Check{Name: strings.Repeat("a", 129), Func: pass}, "longer than 128"},
		{"reserved", Check{Name: "readyz", Func: pass}, "reserved"},
		{"dot", Check{Name: ".", Func: pass}, `name "." is only dots`},
		{"dots", Check{Name: "..", Func: pass}, `name ".." is only dots`},
		{"nil func", Check{Name: "x"}, `health: add check "x": nil Func`},
		{"timeout", Check{Name: "x", Func: pass, Timeout: -1}, "negative Timeout"},
		{"interval", Check{Name: "x", Func: pass, Interval: -time.Second}, "negative Interval"},
		{"threshold", Check{Name: "x", Func: pass, FailureThreshold: -2}, "negative FailureThreshold -2"},
		{"probe", Check{Name: "x", Func: pass, Probes: 8}, "unknown probe in Probes: Probe(0x8)"},
		{"duplicate", Check{Name: "db", Func: pass}, `health: add check "db": name already registered`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Add(tt.check)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add() = %v, want error containing %q", err, tt.want)
			}
		})
	}
	if n := len(*c.checks.Load()); n != 1 {
		t.Errorf("registered %d checks after rejected adds, want 1", n)
	}
	c.Close()
	if err := c.Add(Check{Name: "late", Func: pass}); err == nil || !strings.Contains(err.Error(), "checker closed") {
		t.Errorf("Add after Close = %v, want checker closed", err)
	}
}

func TestReportRejectsCombinedProbe(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	for _, p := range []Probe{0, Liveness | Readiness, 8} {
		if _, err := c.Report(context.Background(), p); err == nil {
			t.Errorf("Report(%v) = nil error, want one", p)
		}
	}
}

// A Report whose wait ctx cut short says so: "no result yet" from a check
// still running is not an answer about it.
func TestReportContextEnded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		release := make(chan struct{})
		defer close(release)
		mustAdd(t, c, Check{Name: "slow", Critical: true, Timeout: time.Hour, Func: func(ctx context.Context) error {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		}})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rep, err := c.Report(ctx, Readiness)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "health: report readiness: stopped waiting") {
			t.Errorf("Report = %v, want an error matching context.Canceled", err)
		}
		if rep.Status != StatusFail || len(rep.Checks) != 1 {
			t.Errorf("report = %+v, want what was recorded: one check, failing", rep)
		}
	})
}

func TestProbeString(t *testing.T) {
	tests := map[Probe]string{
		0:                              "none",
		Liveness:                       "liveness",
		Readiness | Startup:            "readiness|startup",
		Liveness | Readiness | Startup: "liveness|readiness|startup",
		0x18:                           "Probe(0x18)",
	}
	for p, want := range tests {
		if got := p.String(); got != want {
			t.Errorf("Probe(%d).String() = %q, want %q", uint8(p), got, want)
		}
	}
}

func TestHungCheckTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		var calls atomic.Int64
		const timeout = 30 * time.Millisecond
		mustAdd(t, c, Check{Name: "stuck", Func: hang(t, &calls), Timeout: timeout, Critical: true})

		start := time.Now()
		r := report(t, c, Readiness)
		elapsed := time.Since(start)
		// On the bubble's clock the answer comes exactly at the timeout.
		if elapsed != timeout {
			t.Errorf("Report took %v with a %v timeout", elapsed, timeout)
		}
		if r.Status != StatusFail {
			t.Fatalf("status = %q, want fail", r.Status)
		}
		cr := r.Checks[0]
		if cr.Reason != "timed out after 30ms" {
			t.Errorf("reason = %q, want %q", cr.Reason, "timed out after 30ms")
		}
		if !errors.Is(cr.Err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want one wrapping context.DeadlineExceeded", cr.Err)
		}
		if cr.Duration != timeout {
			t.Errorf("duration = %v, want %v", cr.Duration, timeout)
		}
	})
}

func TestCheckThatHonoursContextTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		mustAdd(t, c, Check{Name: "slow", Timeout: 10 * time.Millisecond, Critical: true, Func: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}})
		r := report(t, c, Readiness)
		if got := r.Checks[0].Reason; got != "timed out after 10ms" {
			t.Errorf("reason = %q, want timed out after 10ms", got)
		}
		if !errors.Is(r.Checks[0].Err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", r.Checks[0].Err)
		}
	})
}

func TestConcurrentProbesShareOneRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		var calls atomic.Int64
		gate := make(chan struct{})
		started := make(chan struct{})
		mustAdd(t, c, Check{Name: "db", Critical: true, Timeout: time.Minute, Func: func(context.Context) error {
			if calls.Add(1) == 1 {
				close(started)
			}
			<-gate
			return nil
		}})

		const probes = 50
		var wg sync.WaitGroup
		statuses := make(chan Status, probes)
		for range probes {
			wg.Go(func() {
				r, err := c.Report(context.Background(), Readiness)
				if err != nil {
					t.Error(err)
				}
				statuses <- r.Status
			})
		}
		<-started
		close(gate)
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s != StatusPass {
				t.Errorf("a probe saw %q, want pass", s)
			}
		}
		// Probes that arrived after the run ended were served from the cache
		// (the fake clock does not move), so exactly one run happened.
		if n := calls.Load(); n != 1 {
			t.Errorf("check ran %d times for %d concurrent probes, want 1", n, probes)
		}
	})
}

func TestChecksRunConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		// Each check waits until both have started: run one after the other,
		// they would both time out.
		var both sync.WaitGroup
		both.Add(2)
		for _, name := range []string{"a", "b"} {
			mustAdd(t, c, Check{Name: name, Critical: true, Timeout: 10 * time.Second, Func: func(ctx context.Context) error {
				both.Done()
				both.Wait()
				return nil
			}})
		}
		if r := report(t, c, Readiness); r.Status != StatusPass {
			t.Fatalf("status = %q, want pass", r.Status)
		}
	})
}

func TestResultsAreCachedForTTL(t *testing.T) {
	for _, fail := range []bool{false, true} {
		name := "passing"
		if fail {
			name = "failing"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, _ := newTestChecker(t, &Options{CacheTTL: 2 * time.Second})
				var calls atomic.Int64
				mustAdd(t, c, Check{Name: "db", Func: func(context.Context) error {
					calls.Add(1)
					if fail {
						return errors.New("down")
					}
					return nil
				}})
				for range 5 {
					report(t, c, Readiness)
				}
				if n := calls.Load(); n != 1 {
					t.Fatalf("calls = %d within the TTL, want 1", n)
				}
				time.Sleep(2*time.Second - time.Nanosecond)
				report(t, c, Readiness)
				if n := calls.Load(); n != 1 {
					t.Fatalf("calls = %d just before the TTL, want 1", n)
				}
				time.Sleep(time.Nanosecond)
				report(t, c, Readiness)
				if n := calls.Load(); n != 2 {
					t.Fatalf("calls = %d after the TTL, want 2", n)
				}
			})
		})
	}
}

// sequence returns a check function that returns errs in order, then
// nil, and the errors it has not returned yet.
func sequence(errs ...error) func(context.Context) error {
	var mu sync.Mutex
	return func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if len(errs) == 0 {
			return nil
		}
		err := errs[0]
		errs = errs[1:]
		return err
	}
}

func TestFailureThreshold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := errors.New("down")
		c, _ := newTestChecker(t, &Options{FailureThreshold: 3})
		mustAdd(t, c, Check{Name: "db", Critical: true, Func: sequence(nil, down, down, down, nil)})
		want := []struct {
			status Status
			fails  int
		}{
			{StatusPass, 0}, // first pass
			{StatusPass, 1}, // one failure: still green
			{StatusPass, 2},
			{StatusFail, 3}, // third consecutive failure turns red
			{StatusPass, 0}, // one pass recovers
		}
		for i, w := range want {
			time.Sleep(DefaultCacheTTL) // each probe finds the last result expired
			r := report(t, c, Readiness)
			cr := r.Checks[0]
			if r.Status != w.status || cr.ConsecutiveFailures != w.fails {
				t.Fatalf("run %d: status %q with %d failures, want %q with %d", i+1, r.Status, cr.ConsecutiveFailures, w.status, w.fails)
			}
			if w.fails > 0 && !errors.Is(cr.Err, down) {
				t.Errorf("run %d: err = %v, want the check's error even below the threshold", i+1, cr.Err)
			}
		}
	})
}

func TestCheckThresholdOverridesOptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := errors.New("down")
		c, _ := newTestChecker(t, &Options{FailureThreshold: 5})
		mustAdd(t, c, Check{Name: "db", Critical: true, FailureThreshold: 1, Func: sequence(nil, down)})
		report(t, c, Readiness)
		time.Sleep(DefaultCacheTTL)
		if r := report(t, c, Readiness); r.Status != StatusFail {
			t.Errorf("status = %q after one failure with FailureThreshold 1, want fail", r.Status)
		}
	})
}

func TestBeforeFirstPass(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := errors.New("down")
		c, _ := newTestChecker(t, &Options{FailureThreshold: 2})
		mustAdd(t, c, Check{Name: "db", Critical: true, Probes: Liveness | Readiness | Startup, Func: sequence(down, down)})

		// One failure, never passed, below the threshold: pending.
		r := report(t, c, Readiness)
		if r.Status != StatusFail || r.Checks[0].Reason != "not passed yet (1 of 2 failures)" {
			t.Errorf("readiness = %q %q, want fail, not passed yet", r.Status, r.Checks[0].Reason)
		}
		if r := report(t, c, Liveness); r.Status != StatusPass {
			t.Errorf("liveness = %q while pending, want pass", r.Status)
		}
		// Second failure reaches the threshold: red everywhere.
		time.Sleep(DefaultCacheTTL)
		if r := report(t, c, Liveness); r.Status != StatusFail {
			t.Errorf("liveness = %q at the threshold, want fail", r.Status)
		}
	})
}

func TestPendingIntervalCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		var calls atomic.Int64
		mustAdd(t, c, Check{Name: "bg", Critical: true, Probes: Liveness | Readiness | Startup,
			Interval: time.Hour, Timeout: time.Hour, Func: hang(t, &calls)})
		tests := []struct {
			probe  Probe
			status Status
		}{
			{Liveness, StatusPass},
			{Readiness, StatusFail},
			{Startup, StatusFail},
		}
		for _, tt := range tests {
			r := report(t, c, tt.probe)
			if r.Status != tt.status {
				t.Errorf("%v before the first result = %q, want %q", tt.probe, r.Status, tt.status)
			}
			if tt.status == StatusFail && r.Checks[0].Reason != "no result yet" {
				t.Errorf("%v reason = %q, want no result yet", tt.probe, r.Checks[0].Reason)
			}
			if !r.Checks[0].Time.IsZero() {
				t.Errorf("%v time = %v before the first result, want zero", tt.probe, r.Checks[0].Time)
			}
		}
	})
}

func TestStartupPassesOnceForGood(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := errors.New("down")
		c, _ := newTestChecker(t, nil)
		var calls atomic.Int64
		seq := sequence(down, nil, down)
		mustAdd(t, c, Check{Name: "migrations", Critical: true, Probes: Startup | Readiness, Func: func(ctx context.Context) error {
			calls.Add(1)
			return seq(ctx)
		}})
		if r := report(t, c, Startup); r.Status != StatusFail {
			t.Fatalf("startup = %q before any pass, want fail", r.Status)
		}
		time.Sleep(DefaultCacheTTL)
		if r := report(t, c, Startup); r.Status != StatusPass {
			t.Fatalf("startup = %q after a pass, want pass", r.Status)
		}
		time.Sleep(DefaultCacheTTL)
		if r := report(t, c, Readiness); r.Status != StatusFail {
			t.Fatalf("readiness = %q after a failure, want fail", r.Status)
		}
		time.Sleep(DefaultCacheTTL)
		before := calls.Load()
		if r := report(t, c, Startup); r.Status != StatusPass {
			t.Errorf("startup = %q after a later failure, want pass", r.Status)
		}
		if calls.Load() != before {
			t.Errorf("startup probe ran a check that had already passed")
		}
	})
}

func TestNonCriticalFailureWarns(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "cache", Func: func(context.Context) error { return errors.New("down") }})
	mustAdd(t, c, Check{Name: "db", Critical: true, Func: pass})
	r := report(t, c, Readiness)
	if r.Status != StatusWarn || r.Checks[0].Status != StatusWarn {
		t.Errorf("status = %q, cache = %q, want warn, warn", r.Status, r.Checks[0].Status)
	}
}

func TestPanicIsAFailure(t *testing.T) {
	c, logs := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "buggy", Critical: true, Func: func(context.Context) error {
		var s []int
		_ = s[len(s)] // panics: index out of range
		return nil
	}})
	r := report(t, c, Readiness)
	if r.Status != StatusFail {
		t.Fatalf("status = %q after a panic, want fail", r.Status)
	}
	cr := r.Checks[0]
	if cr.Reason != "check failed" || !strings.Contains(cr.Err.Error(), "check panicked: runtime error: index out of range [0] with length 0") {
		t.Errorf("reason %q, err %v; want check failed, check panicked", cr.Reason, cr.Err)
	}
	out := logs.String()
	for _, want := range []string{"level=ERROR", "health: check panicked", "check=buggy", "runtime/debug.Stack", "check_test.go"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestGoexitIsAFailure(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "exits", Critical: true, Func: func(context.Context) error {
		runtime.Goexit()
		return nil
	}})
	r := report(t, c, Readiness)
	if r.Status != StatusFail || !strings.Contains(r.Checks[0].Err.Error(), "runtime.Goexit") {
		t.Errorf("status %q err %v, want fail mentioning runtime.Goexit", r.Status, r.Checks[0].Err)
	}
}

func TestHungCheckKeepsOneGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, &Options{Timeout: 10 * time.Millisecond})
		var calls atomic.Int64
		mustAdd(t, c, Check{Name: "stuck", Critical: true, Func: hang(t, &calls)})

		r := report(t, c, Readiness)
		if r.Checks[0].Reason != "timed out after 10ms" {
			t.Fatalf("first reason = %q, want timed out", r.Checks[0].Reason)
		}
		for i := range 3 {
			time.Sleep(DefaultCacheTTL)
			r = report(t, c, Readiness)
			cr := r.Checks[0]
			if cr.Status != StatusFail || cr.Reason != "previous run still running after its 10ms timeout" {
				t.Fatalf("probe %d while hung: %q %q, want fail, still running", i, cr.Status, cr.Reason)
			}
			if cr.ConsecutiveFailures != i+2 {
				t.Errorf("probe %d: %d consecutive failures, want %d: each refused run counts", i, cr.ConsecutiveFailures, i+2)
			}
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("a hung check was started %d times, want 1", n)
		}
	})
}

func TestLateResultIsDiscarded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, &Options{Timeout: 10 * time.Millisecond})
		release := make(chan struct{})
		returned := make(chan struct{})
		var calls atomic.Int64
		mustAdd(t, c, Check{Name: "slow", Critical: true, Func: func(context.Context) error {
			if calls.Add(1) == 1 {
				defer close(returned)
				<-release
			}
			return nil
		}})
		if r := report(t, c, Readiness); r.Status != StatusFail {
			t.Fatalf("status = %q, want fail (timed out)", r.Status)
		}
		close(release)
		<-returned
		synctest.Wait() // the run's goroutine has recorded that it left Func
		// The late nil does not turn the check green...
		if r := report(t, c, Readiness); r.Status != StatusFail {
			t.Errorf("status = %q after a late pass, want fail until the next run", r.Status)
		}
		// ...but it frees the check to run again once the result expires.
		time.Sleep(DefaultCacheTTL)
		if r := report(t, c, Readiness); r.Status != StatusPass {
			t.Fatalf("check did not run again after its late return: %+v", r.Checks[0])
		}
		if n := calls.Load(); n != 2 {
			t.Errorf("calls = %d, want 2", n)
		}
	})
}

func TestGoroutinesBoundedUnderLoadWhileHung(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		const nChecks = 3
		var calls atomic.Int64
		for _, name := range []string{"a", "b", "c"} {
			mustAdd(t, c, Check{Name: name, Critical: true, Timeout: 300 * time.Millisecond, Func: hang(t, &calls)})
		}
		h := c.Handler()
		base := runtime.NumGoroutine()

		const probes = 1000
		var entered, wg sync.WaitGroup
		entered.Add(probes)
		codes := make(chan int, probes)
		for range probes {
			wg.Go(func() {
				entered.Done()
				codes <- serve(h, "GET", "/readyz", nil).Code
			})
		}
		entered.Wait()
		// All callers are inside the handler (or about to be) and the checks
		// hang: sample the goroutine count while the probes wait.
		peak := 0
		for range 20 {
			peak = max(peak, runtime.NumGoroutine())
			time.Sleep(5 * time.Millisecond)
		}
		wg.Wait()
		close(codes)
		// The callers themselves are probes goroutines; the package may add
		// one per check in flight (the run) plus a constant.
		if limit := base + probes + nChecks + 10; peak > limit {
			t.Errorf("peak goroutines = %d with %d probes and %d hung checks, want <= %d", peak, probes, nChecks, limit)
		}
		for code := range codes {
			if code != 503 {
				t.Fatalf("probe got %d, want 503", code)
			}
		}
		if n := calls.Load(); n != nChecks {
			t.Errorf("hung checks started %d times for %d probes, want %d", n, probes, nChecks)
		}
	})
}

func TestIntervalChecksRunInBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		var calls atomic.Int64
		ran := make(chan struct{}, 1)
		mustAdd(t, c, Check{Name: "bg", Critical: true, Interval: time.Millisecond, Func: func(context.Context) error {
			calls.Add(1)
			select {
			case ran <- struct{}{}:
			default:
			}
			return nil
		}})
		for range 3 {
			<-ran
		}
		if r := report(t, c, Readiness); r.Status != StatusPass {
			t.Errorf("status = %q, want pass", r.Status)
		}
		c.Close()
		stopped := calls.Load()
		time.Sleep(20 * time.Millisecond)
		if n := calls.Load(); n != stopped {
			t.Errorf("check ran %d times after Close, want 0", n-stopped)
		}
	})
}

func TestProbesOnlyReadIntervalChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := newTestChecker(t, nil)
		var calls atomic.Int64
		changes := changesOf(t, c)
		mustAdd(t, c, Check{Name: "bg", Critical: true, Interval: time.Hour, Func: func(context.Context) error {
			calls.Add(1)
			return nil
		}})
		// The first run starts as the check is added.
		if ch := <-changes; ch.To != StatusPass {
			t.Fatalf("first change = %+v, want to pass", ch)
		}
		for range 5 {
			time.Sleep(time.Minute)
			if r := report(t, c, Readiness); r.Status != StatusPass {
				t.Fatalf("status = %q, want pass", r.Status)
			}
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("check ran %d times, want 1: probes must not run interval checks", n)
		}
	})
}

func TestCloseIsIdempotent(t *testing.T) {
	c, _ := newTestChecker(t, nil)
	mustAdd(t, c, Check{Name: "bg", Interval: time.Hour, Func: pass})
	c.Close()
	c.Close()
}
