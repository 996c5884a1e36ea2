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
	"strings"
	"sync"
	"time"
)

// Status is the outcome of a run, as its record says.
type Status string

// The run statuses. A run is StatusRunning from Begin until it ends; the
// stored records hold only the other four.
const (
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded" // finished with no error and no failed items
	StatusFailed    Status = "failed"    // Finish got a non-nil error
	StatusPartial   Status = "partial"   // finished, but some items failed
	StatusAbandoned Status = "abandoned" // never finished: the process died or Close came first
)

// ExitCode maps a run's status to a process exit code for cron and
// systemd:
//
//	succeeded  0
//	failed     1  (also running, and any unknown status)
//	partial    3  (SuccessExitStatus=3 in a systemd unit counts it as success)
//	abandoned  4  (never a run that called Finish; for tools that report
//	              the last recorded run)
//
// 2 is left out because shells and the flag package use it for usage errors.
func ExitCode(s Status) int {
	switch s {
	case StatusSucceeded:
		return 0
	case StatusPartial:
		return 3
	case StatusAbandoned:
		return 4
	}
	return 1
}

// Record describes one run: what a Store keeps (the file store: one JSON
// object a line in its summary log), and what ReadRuns and LastRuns return.
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

func (r Record) clone() Record {
	r.Items = maps.Clone(r.Items)
	r.Failures = slices.Clone(r.Failures)
	return r
}

// ItemFailure is one failed item of a run.
type ItemFailure struct {
	Item  string `json:"item"`
	Error string `json:"error,omitempty"`
}

// Run is one execution of a job, started by (*File[T]).Begin: it counts
// items, keeps item failures and ends with Finish. A Run is safe for
// concurrent use. Its zero value is not usable.
type Run struct {
	finish      func(*Run, error) (Record, error) // the File's finishRun
	ctx         context.Context                   // Begin's, without its cancellation
	logger      *slog.Logger
	maxFailures int

	mu  sync.Mutex
	rec Record // Status is StatusRunning until the run ends
}

// ID returns the run ID: the start time and a random suffix,
// e.g. "20260611T020000Z-1a2b3c4d5e6f".
func (r *Run) ID() string { return r.rec.RunID }

// Add adds n to the count of items called name (for example "processed" or
// "skipped"). It does nothing once the run has ended.
func (r *Run) Add(name string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Status == StatusRunning {
		r.rec.Items[name] += int64(n)
	}
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
// succeeded otherwise. It logs a one-line summary and stores the run's
// record (see the package doc). The Record is complete even when the
// error, which says what could not be stored, is not nil. Finishing an
// ended run returns its record and an error.
func (r *Run) Finish(err error) (Record, error) {
	return r.finish(r, err)
}

// end ends the run, as abandoned for reason if reason is not empty, else
// with err's outcome, and logs its summary line (Info if it succeeded,
// Warn if partial, else Error). It reports false if it had already ended.
func (r *Run) end(err error, reason string, gen uint64) (Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec.Status != StatusRunning {
		return r.rec.clone(), false
	}
	r.rec.Ended, r.rec.Generation = time.Now(), gen
	level := slog.LevelError
	switch {
	case reason != "":
		r.rec.Status, r.rec.Error = StatusAbandoned, reason
	case err != nil:
		r.rec.Status, r.rec.Error = StatusFailed, err.Error()
	case r.rec.ItemFailures > 0:
		r.rec.Status, level = StatusPartial, slog.LevelWarn
	default:
		r.rec.Status, level = StatusSucceeded, slog.LevelInfo
	}
	r.logger.LogAttrs(r.ctx, level, summaryLine(r.rec), slog.String("run_id", r.rec.RunID),
		slog.String("status", string(r.rec.Status)), slog.Duration("duration", r.rec.Duration()))
	return r.rec.clone(), true
}

// Begin starts a run and saves a generation that marks it running (the
// lock's holder record names it too), so that the next Open records it as
// abandoned if the process dies first. ctx, without its cancellation,
// serves the run's log records and Finish, so that a run stopped by a
// signal still records its end. Begin fails while another run is active,
// and while an ended run's record cannot be stored (it tries that first).
//
// If the save fails, no run has begun: Begin returns a nil *Run. When only
// the directory fsync failed (see Update), the run has begun but its mark
// may not survive a power loss: Begin returns the *Run with the error;
// Finish it as usual.
func (f *File[T]) Begin(ctx context.Context) (*Run, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, fmt.Errorf("statefile: begin run in %s: %w", f.store, ErrClosed)
	}
	if r := f.run; r != nil {
		if r.Status() == StatusRunning {
			return nil, fmt.Errorf("statefile: begin run in %s: run %s is still active", f.store, r.ID())
		}
		if err := f.recordRunLocked(ctx, r); err != nil {
			return nil, fmt.Errorf("statefile: begin run in %s: the ended run %s is not yet stored: %w", f.store, r.ID(), err)
		}
	}
	now := time.Now()
	var rnd [6]byte
	rand.Read(rnd[:])
	r := f.newRun(ctx, Record{RunID: now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(rnd[:]),
		Status: StatusRunning, Started: now, PID: f.holder.PID, Host: f.holder.Host, Items: map[string]int64{}})
	f.run = r
	err := f.saveLocked(ctx, f.state)
	if err != nil && !errors.Is(err, errNotDurable) {
		f.run = nil
		return nil, fmt.Errorf("statefile: begin run in %s: %w", f.store, err)
	}
	f.opts.Logger.DebugContext(ctx, "statefile: run started", slog.String("run_id", r.ID()))
	if err != nil {
		return r, fmt.Errorf("statefile: begin run in %s: %w", f.store, err) // begun, but not durably
	}
	return r, nil
}

func (f *File[T]) newRun(ctx context.Context, rec Record) *Run {
	return &Run{finish: f.finishRun, ctx: context.WithoutCancel(ctx), logger: f.opts.Logger,
		maxFailures: f.opts.MaxItemFailures, rec: rec}
}

// finishRun is Finish. Under f.mu, exactly one of Finish and Close ends r.
func (f *File[T]) finishRun(r *Run, err error) (Record, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec, ok := r.end(err, "", f.gen)
	if !ok {
		return rec, fmt.Errorf("statefile: finish run %s in %s: run already ended as %s", rec.RunID, f.store, rec.Status)
	}
	if err := f.recordRunLocked(r.ctx, r); err != nil {
		return rec, fmt.Errorf("statefile: finish run %s in %s: %w", rec.RunID, f.store, err)
	}
	return rec, nil
}

// recordRunLocked appends the ended run r's record, then saves a generation
// that drops r, or keeps it if the append failed. The caller holds f.mu.
func (f *File[T]) recordRunLocked(ctx context.Context, r *Run) error {
	aerr := f.store.AppendRun(ctx, r.Record(), f.opts.KeepRuns)
	if aerr == nil {
		f.run = nil
	} else {
		aerr = fmt.Errorf("append record: %w", aerr)
	}
	return errors.Join(aerr, f.saveLocked(ctx, f.state))
}

// recordLeftover stores the record of the run a loaded generation names,
// as abandoned if it is still running, unless the process died after
// appending it. If the append fails, Begin or Close stores it later.
func (f *File[T]) recordLeftover(ctx context.Context, snap *Snapshot) {
	recent, err := f.store.ReadRuns(ctx, 16)
	if err != nil {
		f.opts.Logger.WarnContext(ctx, "statefile: cannot read the run records", slog.Any("error", err))
	}
	for _, old := range recent {
		if old.RunID == snap.Run.RunID {
			return
		}
	}
	r := f.newRun(ctx, snap.Run.clone())
	if r.rec.Status == StatusRunning {
		r.rec.LastSaved = snap.SavedAt
		r.end(nil, "the process ended without Finish (the run was still marked running when the next Open took the lock)", snap.Generation)
	}
	if err := f.store.AppendRun(ctx, r.rec, f.opts.KeepRuns); err != nil {
		f.opts.Logger.ErrorContext(ctx, "statefile: cannot store the record of an ended run; kept in the state",
			slog.String("run_id", r.rec.RunID), slog.Any("error", err))
		f.run = r
	}
}

// summaryLine describes a run in one line, e.g.
// "run 20260611T020000Z-1a2b3c4d5e6f partial in 2m3s: 3 items failed, first "b.csv": parse: bad row (processed=120)".
func summaryLine(rec Record) string {
	d := rec.Duration().Round(time.Millisecond)
	s := fmt.Sprintf("run %s %s", rec.RunID, rec.Status)
	switch rec.Status {
	case StatusSucceeded:
		s += fmt.Sprintf(" in %v", d)
	case StatusPartial:
		s += fmt.Sprintf(" in %v: %d item", d, rec.ItemFailures)
		if rec.ItemFailures != 1 {
			s += "s"
		}
		s += " failed"
		if len(rec.Failures) > 0 {
			s += fmt.Sprintf(", first %q", rec.Failures[0].Item)
			if rec.Failures[0].Error != "" {
				s += ": " + rec.Failures[0].Error
			}
		}
	case StatusFailed:
		s += fmt.Sprintf(" after %v: %s", d, rec.Error)
	case StatusAbandoned:
		s += fmt.Sprintf(": started %s by pid %d on host %s", rec.Started.UTC().Format(time.RFC3339), rec.PID, rec.Host)
		if !rec.LastSaved.IsZero() {
			s += ", last saved " + rec.LastSaved.UTC().Format(time.RFC3339)
		}
		s += "; " + rec.Error
	}
	if len(rec.Items) > 0 {
		var items []string
		for _, k := range slices.Sorted(maps.Keys(rec.Items)) {
			items = append(items, fmt.Sprintf("%s=%d", k, rec.Items[k]))
		}
		s += " (" + strings.Join(items, " ") + ")"
	}
	return s
}
