package main

import (
	"log"
	"net/http"
	"time"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	go http.ListenAndServe(":9090", mux) // want `srvtimeout: HTTP server without timeouts`

	bare := &http.Server{Addr: ":8081", Handler: mux} // want `srvtimeout: http.Server without ReadHeaderTimeout`
	go bare.ListenAndServe()

	// A server with timeouts: fine.
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
	}
	log.Fatal(srv.ListenAndServe())
}
