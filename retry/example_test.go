package retry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/retry"
)

// fast is a policy with short delays and no logs, so that the examples run
// quickly and print only what they show.
var fast = retry.Policy{InitialDelay: time.Millisecond, Logger: slog.New(slog.DiscardHandler)}

func ExampleDo() {
	attempts := 0
	err := retry.Do(context.Background(), fast, func(ctx context.Context) error {
		attempts++
		if attempts < 3 {
			return result.Unavailable("warming_up", 0) // retried
		}
		return nil
	})
	fmt.Println("attempts:", attempts, "error:", err)
	// Output: attempts: 3 error: <nil>
}

type Profile struct {
	Name string `json:"name"`
}

// DoValue around an HTTP call whose errors are result errors: connection
// errors, 503 and 429 are retried (429's Retry-After sets the delay), a 404
// is returned at once.
func ExampleDoValue() {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/profiles/42":
			result.WriteProblem(w, r, result.NotFound("profile", r.URL.Path[len("/profiles/"):]))
		case hits.Add(1) == 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			_, _ = w.Write([]byte(`{"name":"Ada"}`))
		}
	}))
	defer srv.Close()

	fetch := func(ctx context.Context, id string) (*Profile, error) {
		return retry.DoValue(ctx, fast, func(ctx context.Context) (*Profile, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/profiles/"+id, nil)
			if err != nil {
				return nil, retry.Permanent(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				return nil, err // connection errors are retried
			}
			defer resp.Body.Close()
			if err := result.FromResponse(resp); err != nil {
				return nil, err // RATE_LIMITED, UNAVAILABLE … retried; NOT_FOUND not
			}
			var p Profile
			return &p, json.NewDecoder(resp.Body).Decode(&p)
		})
	}

	p, err := fetch(context.Background(), "42")
	fmt.Println(p.Name, err, "after", hits.Load(), "requests")
	_, err = fetch(context.Background(), "7")
	fmt.Println(result.CodeOf(err), errors.Is(err, result.ErrNotFound))
	// Output:
	// Ada <nil> after 2 requests
	// NOT_FOUND true
}

func ExamplePermanent() {
	attempts := 0
	err := retry.Do(context.Background(), fast, func(ctx context.Context) error {
		attempts++
		return retry.Permanent(fmt.Errorf("parse config: %w", errors.ErrUnsupported))
	})
	fmt.Println("attempts:", attempts)
	fmt.Println(errors.Is(err, errors.ErrUnsupported))
	fmt.Println(err)
	// Output:
	// attempts: 1
	// true
	// retry: attempt 1 failed and is not retryable: parse config: unsupported operation
}

func ExampleError() {
	p := fast
	p.MaxAttempts = 3
	err := retry.Do(context.Background(), p, func(ctx context.Context) error {
		return fmt.Errorf("charge card: %w", result.UpstreamFailure("payments", http.StatusBadGateway, nil))
	})
	var e *retry.Error
	if errors.As(err, &e) {
		fmt.Println(e.Reason, e.Attempts, result.CodeOf(err))
	}
	// Output: exhausted 3 UPSTREAM_FAILURE
}

func ExamplePolicy() {
	p := retry.Policy{
		MaxAttempts:    5,
		InitialDelay:   time.Millisecond,
		MaxDelay:       20 * time.Millisecond,
		AttemptTimeout: time.Second,
		Classify: func(err error) retry.Decision {
			if errors.Is(err, result.ErrNotFound) {
				return retry.DecisionRetry // the replica may not have caught up yet
			}
			return retry.DecisionDefault
		},
		OnRetry: func(ctx context.Context, a retry.Attempt) {
			fmt.Printf("attempt %d failed: %v\n", a.Number, a.Err)
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	attempts := 0
	err := retry.Do(context.Background(), p, func(ctx context.Context) error {
		attempts++
		if attempts < 3 {
			return result.NotFound("order", "42")
		}
		return nil
	})
	fmt.Println("error:", err)
	// Output:
	// attempt 1 failed: NOT_FOUND: order not found (id "42")
	// attempt 2 failed: NOT_FOUND: order not found (id "42")
	// error: <nil>
}

func ExamplePolicy_Validate() {
	err := retry.Policy{Multiplier: 0.5}.Validate()
	fmt.Println(err)
	// Output: retry: invalid Policy: Multiplier 0.5 is below 1
}

// One budget shared by every caller of a dependency: while it fails, the
// callers retry only a few times between them instead of every call
// retrying three times.
func ExampleNewBudget() {
	budget := retry.NewBudget(&retry.BudgetOptions{Ratio: 0.1, Burst: 2, MinPerSecond: -1})
	p := fast
	p.Budget = budget
	attempts := 0
	for range 20 {
		_ = retry.Do(context.Background(), p, func(ctx context.Context) error {
			attempts++
			return result.Unavailable("", 0)
		})
	}
	fmt.Println("calls: 20, attempts:", attempts, "(without the budget: 80)")
	fmt.Println("retries left:", budget.Available())
	// Output:
	// calls: 20, attempts: 23 (without the budget: 80)
	// retries left: 0
}

func ExampleTransport() {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) < 3 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()

	client := &http.Client{
		Timeout:   10 * time.Second, // covers every attempt
		Transport: retry.Transport(http.DefaultTransport, fast),
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status, "after", hits.Load(), "requests")
	// Output: 200 OK after 3 requests
}
