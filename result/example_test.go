package result_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hardenkit/harden/result"
)

func ExampleNotFound() {
	err := fmt.Errorf("load project: %w", result.NotFound("project", "42"))

	fmt.Println(errors.Is(err, result.ErrNotFound))
	e, _ := errors.AsType[*result.Error](err)
	fmt.Println(result.CodeOf(err), e.HTTPStatus(), e.Resource, e.ID)
	// Output:
	// true
	// NOT_FOUND 404 project 42
}

func ExampleRateLimited() {
	err := result.RateLimited(30 * time.Second)

	// A retry loop reads these through small interfaces, without importing result.
	fmt.Println(err.Retryable(), err.RetryAfter())
	// Output: true 30s
}

func ExampleInternal() {
	err := result.Internal(errors.New("pq: connection refused"))

	fmt.Println(err.Message) // what a client sees
	fmt.Println(err)         // what the logs see
	// Output:
	// an internal error occurred
	// INTERNAL: an internal error occurred: pq: connection refused
}

func ExampleValidation() {
	err := result.Validation(
		result.Violation{Pointer: "/name", Rule: "required", Message: "is required"},
		result.Violation{Pointer: "/tags/2", Rule: "max", Param: "20", Message: "must be at most 20 characters"},
	)
	fmt.Println(err.Message)
	for _, v := range err.Violations {
		fmt.Println(v.Pointer, v.Message)
	}
	// Output:
	// the request has 2 invalid fields
	// /name is required
	// /tags/2 must be at most 20 characters
}

func ExampleCodeOf() {
	fmt.Println(result.CodeOf(nil) == "")
	fmt.Println(result.CodeOf(errors.Join(errors.New("a"), result.Unavailable("maintenance", 0))))
	fmt.Println(result.CodeOf(fmt.Errorf("query: %w", errTimeout)))
	fmt.Println(result.CodeOf(errors.New("anything else")))
	// Output:
	// true
	// UNAVAILABLE
	// TIMEOUT
	// INTERNAL
}

var errTimeout = result.Timeout(nil)

func ExampleResult() {
	// Results travel as values, here out of a fan-out over a channel.
	ids := []string{"1", "x", "3"}
	out := make(chan result.Result[int], len(ids))
	for _, id := range ids {
		go func() { out <- result.Of(strconv.Atoi(id)) }()
	}
	sum := 0
	for range ids {
		if v, err := (<-out).Get(); err == nil {
			sum += v
		}
	}
	fmt.Println(sum)
	// Output: 4
}

func ExampleMap() {
	parsed := result.Map(result.Ok("42"), strconv.Atoi)
	doubled := result.Map(parsed, func(n int) (int, error) { return 2 * n, nil })
	fmt.Println(doubled.Get())
	// Output: 84 <nil>
}

func ExampleSplit() {
	batch := []result.Result[string]{
		result.Ok("a"),
		result.Fail[string](result.NotFound("record", "b")),
		result.Ok("c"),
	}
	values, err := result.Split(batch)
	fmt.Println(values)
	fmt.Println(err)
	// Output:
	// [a c]
	// item 1: NOT_FOUND: record not found (id "b")
}

func ExampleWriteProblem() {
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Request-ID", "0190c5a8-7bde") // set by logx's middleware
	req := httptest.NewRequest(http.MethodGet, "/projects/42", nil)

	result.WriteProblem(rec, req, result.NotFound("project", "42"))

	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// 404 application/problem+json
	// {"type":"tag:hardenkit.dev,2026:problem/not-found","title":"Not found","status":404,"detail":"project not found","instance":"/projects/42","code":"NOT_FOUND","request_id":"0190c5a8-7bde","resource":"project","id":"42"}
}

func ExampleHandlerFunc() {
	projects := map[string]string{"1": "apollo"}
	mux := http.NewServeMux()
	mux.Handle("GET /projects/{id}", result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		name, ok := projects[r.PathValue("id")]
		if !ok {
			return result.NotFound("project", r.PathValue("id"))
		}
		_, err := io.WriteString(w, name)
		return err
	}))

	for _, path := range []string{"/projects/1", "/projects/2"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	}
	// Output:
	// 200 text/plain; charset=utf-8
	// 404 application/problem+json
}

func ExampleRecover() {
	logger := slog.New(slog.DiscardHandler) // the panic and its stack are logged here
	h := result.Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("unreachable state")
	}), logger)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), "unreachable"))
	// Output: 500 false
}

func ExampleFromResponse() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "12")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer upstream.Close()

	resp, err := http.Get(upstream.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	e, _ := errors.AsType[*result.Error](result.FromResponse(resp))
	fmt.Println(e.Code, e.RetryAfter(), e.Retryable())
	// Output: RATE_LIMITED 12s true
}

func ExampleNew() {
	err := result.New(result.CodeConflict, "the project was changed by someone else; reload it")
	fmt.Println(err.HTTPStatus(), err.Message)
	// Output: 409 the project was changed by someone else; reload it
}

func ExampleConflict() {
	err := result.Conflict("project", "apollo", "slug_taken")
	fmt.Println(err.HTTPStatus(), err.Reason, err.Retryable())
	// Output: 409 slug_taken false
}

func ExampleUnauthorized() {
	err := result.Unauthorized("token_expired")
	fmt.Println(err.HTTPStatus(), err.Message, err.Reason)
	// Output: 401 authentication is required token_expired
}

func ExampleForbidden() {
	err := result.Forbidden("not_project_owner")
	fmt.Println(err.HTTPStatus(), err.Reason)
	// Output: 403 not_project_owner
}

func ExamplePayloadTooLarge() {
	err := result.PayloadTooLarge(1 << 20)
	fmt.Println(err.HTTPStatus(), err.Message)
	// Output: 413 the request body is larger than 1048576 bytes
}

func ExampleUnsupportedMediaType() {
	err := result.UnsupportedMediaType("text/plain", "application/json")
	fmt.Println(err.HTTPStatus(), err.Message)
	// Output: 415 unsupported media type "text/plain"; use application/json
}

func ExampleCanceled() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client went away
	err := result.Canceled(ctx.Err())
	fmt.Println(err.HTTPStatus(), errors.Is(err, context.Canceled), err.Retryable())
	// Output: 499 true false
}

func ExampleTimeout() {
	err := result.Timeout(context.DeadlineExceeded)
	fmt.Println(err.HTTPStatus(), err.Retryable())
	// Output: 504 true
}

func ExampleUnavailable() {
	err := result.Unavailable("maintenance", 2*time.Minute)
	fmt.Println(err.HTTPStatus(), err.Reason, err.RetryAfter())
	// Output: 503 maintenance 2m0s
}

func ExampleUpstreamFailure() {
	err := result.UpstreamFailure("billing", http.StatusBadGateway, errors.New("connection reset"))
	fmt.Println(err.HTTPStatus(), err.Retryable())
	fmt.Println(err) // the service and cause are for logs; a client sees only the message
	// Output:
	// 502 true
	// UPSTREAM_FAILURE: a dependency failed: connection reset
}

func ExampleMux() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /projects/{id}", func(w http.ResponseWriter, r *http.Request) {})
	h := result.Mux(mux)

	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodDelete, "/projects/1", nil),
		httptest.NewRequest(http.MethodGet, "/nowhere", nil),
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Allow"))
	}
	// Output:
	// 405 application/problem+json GET, HEAD
	// 404 application/problem+json
}

func ExampleMethodNotAllowed() {
	rec := httptest.NewRecorder()
	result.WriteProblem(rec, nil, result.MethodNotAllowed("GET", "POST"))
	fmt.Println(rec.Code, rec.Header().Get("Allow"))
	// Output: 405 GET, POST
}

func ExampleHandlerFunc_WithLogger() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // only to make this example's output stable
			}
			return a
		},
	}))
	h := result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return result.Internal(errors.New("disk full"))
	}).WithLogger(logger)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/report", nil))
	fmt.Println(rec.Code)
	// Output:
	// level=ERROR msg="request failed" method=GET path=/report status=500 error.code=INTERNAL error.message="an internal error occurred" error.cause="disk full"
	// 500
}

func ExampleCodes() {
	for _, c := range result.Codes()[:3] {
		fmt.Println(c, c.HTTPStatus(), c.Title())
	}
	// Output:
	// VALIDATION 400 Invalid request
	// UNAUTHORIZED 401 Unauthorized
	// FORBIDDEN 403 Forbidden
}

func ExampleOk() {
	r := result.Ok("apollo")
	v, err := r.Get()
	fmt.Println(v, err, r.IsOk())
	// Output: apollo <nil> true
}

func ExampleFail() {
	r := result.Fail[string](result.NotFound("project", "42"))
	fmt.Println(r.IsOk(), r.ValueOr("none"), result.CodeOf(r.Err()))
	// Output: false none NOT_FOUND
}

func ExampleOf() {
	good := result.Of(strconv.Atoi("7"))
	bad := result.Of(strconv.Atoi("seven"))
	fmt.Println(good.ValueOr(-1), bad.ValueOr(-1))
	// Output: 7 -1
}
