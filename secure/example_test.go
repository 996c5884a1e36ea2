package secure_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/hardenkit/harden/secure"
)

func ExampleMiddleware() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /projects", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})
	handler := secure.Middleware(&secure.Options{
		TrustedOrigins: []string{"https://app.example.com"}, // the service's own front end
	})(mux)

	for _, origin := range []string{"https://app.example.com", "https://evil.example"} {
		r := httptest.NewRequest(http.MethodPost, "https://api.example.com/projects", nil)
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(origin, w.Code)
	}
	// Output:
	// https://app.example.com 201
	// https://evil.example 403
}
