// Package statefile provides durable state for unattended jobs: a state of
// any JSON type that survives kill -9 and power loss, a lock against
// overlapping runs, and run records that answer "did the last run succeed,
// fail, or stop half-way?".
//
// A job opens its state, begins a run, updates the state as it goes and
// finishes:
//
//	f, err := statefile.Open[Cursor](ctx, "/var/lib/sync/state.json", nil)
//	if err != nil {
//		return err // names the path, and the holder if the lock is taken
//	}
//	defer f.Close()
//	run, err := f.Begin(ctx)
//	...
//	var jobErr error
//	for _, item := range items {
//		if err := process(item); err != nil {
//			run.ItemFailed(item.ID, err) // the run ends partial
//			continue
//		}
//		run.Add("processed", 1)
//		if jobErr = f.Update(ctx, func(c *Cursor) error { c.Last = item.ID; return nil }); jobErr != nil {
//			break
//		}
//	}
//	rec, err := run.Finish(jobErr) // err: the record could not be stored
//	code := statefile.ExitCode(rec.Status)
//
// Every Update saves a new generation durably, as bbolt's DB.Update does:
// if its function or the save fails, the state stays the previous one.
// While a run is active, each generation records its progress, so a run
// cut short by a crash is found by the next Open and recorded as
// abandoned. Finish appends the run's record and then saves a generation
// without the run; if the append fails, the generation keeps the ended run
// until its record is stored, so no run ever vanishes.
//
// # Stores
//
// A Store keeps the generations, the lock and the run records. Open uses
// the file store; OpenStore takes any Store, such as the PostgreSQL store
// of the statefile/pgstore module for a job that may run on several hosts.
// For a state file at path, the file store keeps:
//
//	path             the newest generation: JSON with a header (format, schema_version,
//	                 generation, saved_at, a SHA-256 checksum of the state, the active run)
//	path.bak         the previous generation, loaded when path is torn or fails its checksum
//	path.lock        a kernel lock (flock, LockFileEx) naming its holder's pid, host and run
//	path.runs.jsonl  the run records, one JSON object a line, read with ReadRuns or jq
//	path.corrupt     a state file that failed verification, moved aside by the next save
//
// A save writes a temporary file, fsyncs it, hard-links path as path.bak,
// renames the temporary file over path and fsyncs the directory: at every
// instant path or path.bak holds a complete generation. The kernel drops
// the lock when the process dies; the lock is local to one host.
//
// Options.SchemaVersion and Options.Migrations upgrade states written by
// older versions of a program; a state written by a newer one is refused
// and left untouched.
package statefile
