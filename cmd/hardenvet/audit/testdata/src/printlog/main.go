package main

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()
	fmt.Println("starting on", *addr) // start-up: fine
	log.Printf("config loaded")       // start-up: fine
	http.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("order from %s", r.RemoteAddr) // want `printlog: unstructured log line`
	})
	if err := http.ListenAndServe(*addr, nil); err != nil {
		log.Fatal(err) // start-up: fine
	}
}

func handle(w http.ResponseWriter, r *http.Request) {
	log.Println("handling", r.URL.Path) // want `printlog: unstructured log line`
	fmt.Printf("got %s\n", r.Method)    // want `printlog: fmt.Print to stdout`
	fmt.Fprintf(os.Stderr, "debug\n")   // to stderr, not stdout: fine
	slog.InfoContext(r.Context(), "handled", "path", r.URL.Path)
	_ = fmt.Sprintf("%s", r.Method)
}
