// A prototype orders service, as written to demonstrate an idea.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

const dbURL = "postgres://orders:s3cret@127.0.0.1:5432/orders"

type order struct {
	ID   string `json:"id"`
	Item string `json:"item"`
}

func createOrder(w http.ResponseWriter, r *http.Request) {
	var o order
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	log.Printf("created order %s", o.ID)
	b, _ := json.Marshal(o)
	os.WriteFile("orders/"+o.ID+".json", b, 0o644)
}

func main() {
	http.HandleFunc("POST /orders", createOrder)
	log.Fatal(http.ListenAndServe(":8080", nil))
}
