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
	for attempt := 1; ; attempt++ {
		var h Holder
		var err error
		data, rerr := os.ReadFile(lockPath)
		if rerr != nil {
			return Holder{}, rerr
		}
		switch jerr := json.Unmarshal(data, &h); {
		case len(data) == 0:
			err = errors.New("lock file is empty")
		case jerr != nil:
			err = fmt.Errorf("lock file is not a holder record: %w", jerr)
		case h.PID == 0:
			err = errors.New("lock file names no pid")
		default:
			return h, nil
		}
		if attempt == 5 || sleep(ctx, 10*time.Millisecond) != nil {
			return Holder{}, err
		}
	}
}
