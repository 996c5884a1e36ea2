package clienttimeout

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

func fetchPrice(sku string) (string, error) {
	resp, err := http.Get("http://pricing.internal/price/" + sku) // want `clienttimeout: http.DefaultClient has no timeout`
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func notify(msg string) error {
	req, err := http.NewRequest("POST", "http://notify.internal/", strings.NewReader(msg)) // want `clienttimeout: request without a context`
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req) // want `clienttimeout: http.DefaultClient has no timeout`
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

var slow = &http.Client{} // want `clienttimeout: http.Client without Timeout`

// A client with a Timeout and a request with a context: fine.
var api = &http.Client{Timeout: 10 * time.Second}

func notifyCtx(ctx context.Context, msg string) error {
	req, err := http.NewRequestWithContext(ctx, "POST", "http://notify.internal/", strings.NewReader(msg))
	if err != nil {
		return err
	}
	resp, err := api.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
