package validate

import (
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hardenkit/harden/result"
)

func resultAs(err error) *result.Error { return result.As(err) }

// jsonRequest returns a POST request with body and an application/json
// Content-Type.
func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/things", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}
