package healthbench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSameAnswer checks that every contender answers /readyz with 200 and
// a JSON body that reports both checks (the bare handler repeats harden's;
// hellofresh lists only failing checks), and that the cached ones run the
// checks once for many requests while the uncached ones run them for every
// request, so that the benchmarks compare the same work.
func TestSameAnswer(t *testing.T) {
	for _, cached := range []bool{true, false} {
		runs := map[string]*atomic.Int64{}
		count := func(name string) func(context.Context) error {
			n := runs[name]
			if n == nil {
				n = new(atomic.Int64)
				runs[name] = n
			}
			return func(context.Context) error { n.Add(1); return nil }
		}
		hs := handlersWith(t, cached, count)
		runs["bare"] = new(atomic.Int64)
		for _, c := range hs { // one request each fills the caches
			c.h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/readyz", nil))
		}
		for _, n := range runs {
			n.Store(0)
		}
		for _, c := range hs {
			for range 5 {
				rec := httptest.NewRecorder()
				c.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
				body := rec.Body.String()
				if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
					t.Errorf("%s cached=%v: %d %s", c.name, cached, rec.Code, body)
				}
				if c.name == "hellofresh" {
					if !strings.Contains(body, `"status":"OK"`) {
						t.Errorf("hellofresh cached=%v: %s", cached, body)
					}
				} else if !strings.Contains(body, `"db`) || !strings.Contains(body, `"cache`) {
					t.Errorf("%s cached=%v: body does not name both checks: %s", c.name, cached, body)
				}
			}
			want := 10 // both checks for each of 5 requests
			if c.name == "bare" || cached && c.name != "hellofresh" {
				want = 0
			}
			if runs := runs[c.name].Load(); runs != int64(want) {
				t.Errorf("%s cached=%v: checks ran %d times for 5 requests, want %d", c.name, cached, runs, want)
			}
		}
	}
}
