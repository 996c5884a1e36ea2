package main

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hardenkit/harden/result"
)

// problemMux answers the requests no route of mux matches as problems, like
// every other error: 405 with an Allow header when another method would
// match the path, 404 otherwise. (http.ServeMux's own answers are
// text/plain.)
func problemMux(mux *http.ServeMux) http.Handler {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	mux.Handle("/", result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		var allow []string
		for _, m := range methods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); m != r.Method && pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			return result.New(result.CodeNotFound, "no route matches this method and path")
		}
		// result has no METHOD_NOT_ALLOWED code, so this problem is written
		// here, with the type RFC 9457 reserves for "the status says it all".
		w.Header().Set("Allow", strings.Join(allow, ", "))
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", result.ContentTypeProblem)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return json.NewEncoder(w).Encode(result.Problem{
			Type: "about:blank", Title: "Method not allowed", Status: http.StatusMethodNotAllowed,
			Detail: "this path accepts " + strings.Join(allow, ", "), Instance: r.URL.Path,
			Code: "METHOD_NOT_ALLOWED", RequestID: w.Header().Get(result.HeaderRequestID),
		})
	}))
	return mux
}
