package retryloop

import (
	"context"
	"errors"
	"time"
)

func charge(id string) error { return errors.New("declined") }

// A prototype's retry: fixed sleeps, no context, every error retried.
func chargeWithRetry(id string) error {
	var err error
	for i := 0; i < 5; i++ {
		err = charge(id)
		if err == nil {
			return nil
		}
		time.Sleep(time.Second) // want `retryloop: hand-rolled retry loop`
	}
	return err
}

func syncAll(ids []string) {
	for _, id := range ids {
		for {
			if err := charge(id); err != nil {
				time.Sleep(2 * time.Second) // want `retryloop: hand-rolled retry loop`
				continue
			}
			break
		}
	}
}

// A poller that sleeps between rounds but checks no error: fine.
func poll(done func() bool) {
	for !done() {
		time.Sleep(100 * time.Millisecond)
	}
}

// A loop that waits on its context: fine.
func waitReady(ctx context.Context, ready func() error) error {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if err := ready(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
