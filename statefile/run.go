package statefile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Status is the outcome of a run, as recorded in the summary log.
type Status string

// The run statuses. A run is StatusRunning from Begin until Finish; the
// summary log holds only the other four.
const (
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded" // finished with no error and no failed items
	StatusFailed    Status = "failed"    // Finish got a non-nil error
	StatusPartial   Status = "partial"   // finished, but some items failed
	StatusAbandoned Status = "abandoned" // never finished: the process died or Close came first
)

// Record describes one run. It is what the summary log holds, one JSON
// object a line, and what ReadRuns and LastRuns return.
type Record struct {
	RunID   string    `json:"run_id"`
	Status  Status    `json:"status"`
	Started time.Time `json:"started"`
	// Ended is when Finish was called; for an abandoned run, when the
	// abandonment was found (the next Open, or Close).
	Ended time.Time `json:"ended,omitzero"`
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	// Items holds the counts given to Add, by name.
	Items map[string]int64 `json:"items,omitempty"`
	// ItemFailures counts every ItemFailed call; Failures keeps the first
	// Options.MaxItemFailures of them.
	ItemFailures int64         `json:"item_failures,omitempty"`
	Failures     []ItemFailure `json:"failures,omitempty"`
	// Error is the error given to Finish, or why the run was abandoned.
	Error string `json:"error,omitempty"`
	// Generation is the state generation current when the run ended.
	Generation uint64 `json:"generation,omitempty"`
	// LastSaved is, for an abandoned run, when its last progress was saved.
	LastSaved time.Time `json:"last_saved,omitzero"`
}

// Duration returns how long the run took (zero while it is running).
func (r Record) Duration() time.Duration {
	if r.Ended.IsZero() {
		return 0
	}
	return r.Ended.Sub(r.Started)
}

// ItemFailure is one failed item of a run.
type ItemFailure struct {
	Item  string `json:"item"`
	Error string `json:"error,omitempty"`
}

// Run is one execution of a job, started by (*File[T]).Begin. It counts
// items, keeps item failures and ends with Finish, which appends its Record
// to the summary log. While it runs, every save of the File records its
// progress in the state file, so a run that never finishes is found by the
// next Open and recorded as abandoned.
//
// A Run is safe for concurrent use. Its zero value is not usable.
type Run struct {
	finish      func(*Run, error) (Record, error) // the File's finishRun
	ctx         context.Context                   // for log records and the store's calls
	maxFailures int

	mu  sync.Mutex
	rec Record // Status is StatusRunning until the run ends
}

func newRunID(now time.Time) string {
	var rnd [6]byte
	rand.Read(rnd[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(rnd[:])
}

// ID returns the run ID: the start time and a random suffix,
// e.g. "20260611T020000Z-1a2b3c4d5e6f".
func (r *Run) ID() string { return r.rec.RunID }

// Add adds n to the count of items called name (for example "processed" or
// "skipped"). It does nothing once the run has ended.
func (r *Run) Add(name string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Status != StatusRunning {
		return
	}
	if r.rec.Items == nil {
		r.rec.Items = make(map[string]int64)
	}
	r.rec.Items[name] += int64(n)
}

// ItemFailed records that item failed with err. Every call is counted; the
// first Options.MaxItemFailures are kept with their error text. A run with
// failed items that finishes without an error is partial. It does nothing
// once the run has ended.
func (r *Run) ItemFailed(item string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Status != StatusRunning {
		return
	}
	r.rec.ItemFailures++
	if len(r.rec.Failures) < r.maxFailures {
		f := ItemFailure{Item: item}
		if err != nil {
			f.Error = err.Error()
		}
		r.rec.Failures = append(r.rec.Failures, f)
	}
}

// Status returns the run's status: StatusRunning until it ends.
func (r *Run) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec.Status
}

// Record returns a copy of the run's record as it stands.
func (r *Run) Record() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec.clone()
}

// Finish ends the run: failed if err is not nil, partial if items failed,
// succeeded otherwise. It logs a one-line summary, appends the run's
// record to the store's run records, and saves a generation that no
// longer names the run. If the record cannot be appended, the generation
// keeps the ended run instead, so it is never lost: the next Begin, Close
// or Open appends it.
//
// The returned Record is complete even when the error is not nil; the error
// says what could not be stored. Finishing a run that has already ended
// returns its record and an error.
func (r *Run) Finish(err error) (Record, error) {
	return r.finish(r, err)
}

// end ends the run, as abandoned for reason if reason is not empty, else
// with err's outcome. It reports false if the run had already ended.
func (r *Run) end(err error, reason string, gen uint64) (Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Status != StatusRunning {
		return r.rec.clone(), false
	}
	r.rec.Ended, r.rec.Generation, r.rec.Status = time.Now(), gen, StatusSucceeded
	switch {
	case reason != "":
		r.rec.Status, r.rec.Error = StatusAbandoned, reason
	case err != nil:
		r.rec.Status, r.rec.Error = StatusFailed, err.Error()
	case r.rec.ItemFailures > 0:
		r.rec.Status = StatusPartial
	}
	return r.rec.clone(), true
}

func (r Record) clone() Record {
	r.Items = maps.Clone(r.Items)
	r.Failures = slices.Clone(r.Failures)
	return r
}

// Begin starts a run and saves a generation that marks it running, so that
// the next Open finds it abandoned if the process dies before Finish. The
// holder's record names the run while it is active. ctx is kept for the
// run's log records and for the store's calls of Finish, without its
// cancellation, so that a run stopped by a signal still records its end.
//
// One run at a time: Begin fails while another run of this File is active,
// and while the record of an ended run cannot be stored (Begin retries it).
//
// If the save fails, no run has begun: Begin returns a nil *Run and the
// error. With the file store, when only the final directory fsync failed
// (see Update), the run has begun but its mark may not survive a power
// loss: Begin returns the *Run together with the error; Finish it as usual.
func (f *File[T]) Begin(ctx context.Context) (*Run, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fmt.Errorf("statefile: begin run in %s: %w", f.name, ErrClosed)
	}
	if r := f.run; r != nil {
		if r.Status() == StatusRunning {
			return nil, fmt.Errorf("statefile: begin run in %s: run %s is still active", f.name, r.ID())
		}
		if err := f.recordRunLocked(ctx, r); err != nil {
			return nil, fmt.Errorf("statefile: begin run in %s: the ended run %s is not yet stored: %w", f.name, r.ID(), err)
		}
	}
	now := time.Now()
	r := &Run{
		finish:      f.finishRun,
		ctx:         context.WithoutCancel(ctx),
		maxFailures: f.maxFail,
		rec: Record{
			RunID:   newRunID(now),
			Status:  StatusRunning,
			Started: now,
			PID:     f.holder.PID,
			Host:    f.holder.Host,
		},
	}
	f.run = r
	committed, err := f.saveLocked(ctx, f.state)
	if !committed {
		f.run = nil
		return nil, fmt.Errorf("statefile: begin run in %s: %w", f.name, err)
	}
	f.logger.DebugContext(ctx, "statefile: run started", slog.String("run_id", r.ID()))
	if err != nil {
		return r, fmt.Errorf("statefile: begin run in %s: %w", f.name, err)
	}
	return r, nil
}

// finishRun ends r with err's outcome and stores its record.
func (f *File[T]) finishRun(r *Run, err error) (Record, error) {
	// Under f.mu, Finish and Close are exclusive: exactly one ends the run
	// (Close as abandoned), and Finish after Close finds it ended.
	f.mu.Lock()
	defer f.mu.Unlock()
	rec, ok := r.end(err, "", f.gen)
	if !ok {
		return rec, fmt.Errorf("statefile: finish run %s in %s: run already ended as %s", rec.RunID, f.name, rec.Status)
	}
	logRun(r.ctx, f.logger, rec)
	if err := f.recordRunLocked(r.ctx, r); err != nil {
		return rec, fmt.Errorf("statefile: finish run %s in %s: %w", rec.RunID, f.name, err)
	}
	return rec, nil
}

// recordRunLocked appends the record of the ended run r, then saves a
// generation without it; if the append fails, the generation keeps r's
// record, so that it is stored later. The caller holds f.mu.
func (f *File[T]) recordRunLocked(ctx context.Context, r *Run) error {
	aerr := f.store.AppendRun(ctx, r.Record(), f.keep)
	if aerr == nil {
		f.run = nil
	} else {
		aerr = fmt.Errorf("append record: %w", aerr)
	}
	_, serr := f.saveLocked(ctx, f.state)
	return errors.Join(aerr, serr)
}

// recordLeftover stores the record of the run a loaded generation names:
// a run still marked running was cut short and is recorded as abandoned;
// an ended one is recorded as it ended. A run already among the newest
// records (the process died between appending it and saving the generation
// that drops it) is not recorded twice. If the append fails, the run stays
// in the state until Begin or Close stores it.
func (f *File[T]) recordLeftover(ctx context.Context, snap *Snapshot) {
	rec := snap.Run.clone()
	recent, err := f.store.ReadRuns(ctx, 16)
	if err != nil {
		f.logger.WarnContext(ctx, "statefile: cannot read the run records", slog.Any("error", err))
	}
	for _, old := range recent {
		if old.RunID == rec.RunID {
			return
		}
	}
	if rec.Status == StatusRunning {
		rec.Status = StatusAbandoned
		rec.Ended = time.Now()
		rec.LastSaved = snap.SavedAt
		rec.Generation = snap.Generation
		rec.Error = "the process ended without Finish (the run was still marked running when the next Open took the lock)"
		logRun(ctx, f.logger, rec)
	}
	if err := f.store.AppendRun(ctx, rec, f.keep); err != nil {
		f.logger.ErrorContext(ctx, "statefile: cannot store the record of an ended run; kept in the state",
			slog.String("run_id", rec.RunID), slog.Any("error", err))
		f.run = &Run{finish: f.finishRun, ctx: context.WithoutCancel(ctx), rec: rec}
	}
}
