package validate

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hardenkit/harden/result"
)

// resultAs returns the *result.Error in err's chain, or nil.
func resultAs(err error) *result.Error {
	e, _ := errors.AsType[*result.Error](err)
	return e
}

// jsonRequest returns a POST request with body and an application/json
// Content-Type.
func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/things", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}
