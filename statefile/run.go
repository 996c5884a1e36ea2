package statefile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// runOwner is the File a Run reports its end to.
type runOwner interface {
	// finishRun ends r with err's outcome and records it, as one step
	// against Close: a run is ended by exactly one of Finish and Close.
	finishRun(r *Run, err error) (Record, error)
}

// Run is one execution of a job, started by (*File[T]).Begin. It counts
// items, keeps item failures and ends with Finish, which appends its Record
// to the summary log. While it runs, every save of the File records its
// progress in the state file, so a run that never finishes is found by the
// next Open and recorded as abandoned.
//
// A Run is safe for concurrent use. Its zero value is not usable.
type Run struct {
	owner       runOwner
	ctx         context.Context // for log records only
	maxFailures int
	now         func() time.Time

	mu    sync.Mutex
	rec   Record
	ended bool
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
	if r.ended {
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
	if r.ended {
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
// succeeded otherwise. It appends the run's record to the summary log, logs
// a one-line summary and saves a state generation that no longer names the
// run. Changes made by Update since the last Save are not saved by Finish.
//
// The returned Record is complete even when the error is not nil; the error
// says what could not be recorded. Finishing a run that has already ended
// returns its record and an error.
func (r *Run) Finish(err error) (Record, error) {
	return r.owner.finishRun(r, err)
}

// end marks the run ended with err's outcome and returns its record, or
// reports false if it had already ended.
func (r *Run) end(err error) (Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return r.rec.clone(), false
	}
	r.ended = true
	r.rec.Ended = r.now()
	switch {
	case err != nil:
		r.rec.Status = StatusFailed
		r.rec.Error = err.Error()
	case r.rec.ItemFailures > 0:
		r.rec.Status = StatusPartial
	default:
		r.rec.Status = StatusSucceeded
	}
	return r.rec.clone(), true
}

// abandon ends the run as abandoned, unless it has already ended.
func (r *Run) abandon(reason string) (Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return Record{}, false
	}
	r.ended = true
	r.rec.Ended = r.now()
	r.rec.Status = StatusAbandoned
	r.rec.Error = reason
	return r.rec.clone(), true
}

// progress returns the record to store in a state generation: always
// marked running, because a run whose end is not yet in the summary log
// must be found as abandoned if the process dies now.
func (r *Run) progress() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.rec.clone()
	rec.Status = StatusRunning
	rec.Ended = time.Time{}
	rec.Error = ""
	return rec
}

func (r Record) clone() Record {
	r.Items = maps.Clone(r.Items)
	r.Failures = slices.Clone(r.Failures)
	return r
}
