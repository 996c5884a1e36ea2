package bodylimit

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
)

type order struct {
	Item string
	Qty  int
}

func createOrder(w http.ResponseWriter, r *http.Request) {
	var o order
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil { // want `bodylimit: request body read with no size limit`
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
}

func upload(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(r.Body) // want `bodylimit: request body read with no size limit`
	if err != nil {
		return
	}
	_ = data
	f, _ := os.CreateTemp("", "upload")
	io.Copy(f, r.Body) // want `bodylimit: request body read with no size limit`
}

// A body wrapped in http.MaxBytesReader first is limited: fine.
func createOrderLimited(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	var o order
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	rest, _ := io.ReadAll(r.Body)
	_ = rest
}

// Reading a response body (a client's, not a request's) is not this check's business.
func fetch(c *http.Client) ([]byte, error) {
	resp, err := c.Get("http://127.0.0.1:8080/x")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
