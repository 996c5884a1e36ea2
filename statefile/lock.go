package statefile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// errWouldBlock is returned by tryLock when another holder has the lock.
var errWouldBlock = errors.New("lock is held")

// writeHolder records h in the lock file f.
func writeHolder(f *os.File, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	// Write before truncating, so that a reader never finds the file empty
	// once any holder has written to it.
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Truncate(int64(len(data)))
}

// readHolder reads the holder's record. The holder writes it just after
// taking the lock, so an empty or half-written record is retried briefly.
func readHolder(ctx context.Context, lockPath string) (Holder, error) {
	var lastErr error
	for attempt := range 5 {
		if attempt > 0 && sleep(ctx, 10*time.Millisecond) != nil {
			break
		}
		data, err := os.ReadFile(lockPath)
		if err != nil {
			return Holder{}, err
		}
		var h Holder
		switch err := json.Unmarshal(data, &h); {
		case len(data) == 0:
			lastErr = errors.New("lock file is empty")
		case err != nil:
			lastErr = fmt.Errorf("lock file is not a holder record: %w", err)
		case h.PID == 0:
			lastErr = errors.New("lock file names no pid")
		default:
			return h, nil
		}
	}
	return Holder{}, lastErr
}
