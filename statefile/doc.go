// Package statefile provides durable state for unattended jobs: a state
// file that survives kill -9 and power loss, a lock against overlapping
// runs, and a summary log that answers "did the last run succeed, fail, or
// stop half-way?".
//
// A job opens its state, records a run, saves as it goes and finishes:
//
//	f, err := statefile.Open[Cursor]("/var/lib/sync/state.json", nil)
//	if err != nil {
//		log.Fatal(err) // names the path, and the holder if the lock is taken
//	}
//	run, err := f.Begin(ctx)
//	...
//	var jobErr error
//	for _, item := range items {
//		if err := process(item); err != nil {
//			run.ItemFailed(item.ID, err) // the run ends partial
//			continue
//		}
//		run.Add("processed", 1)
//		jobErr = f.Update(func(c *Cursor) error { c.Last = item.ID; return nil })
//		if jobErr == nil {
//			jobErr = f.Save()
//		}
//		if jobErr != nil {
//			break
//		}
//	}
//	rec, err := run.Finish(jobErr)
//	if err != nil {
//		log.Print(err) // the run's record could not be written in full
//	}
//	f.Close() // before os.Exit, which runs no deferred calls
//	os.Exit(statefile.ExitCode(rec.Status))
//
// # Files
//
// For a state file at path, the package uses these files in the same
// directory (which must exist):
//
//	path                the current generation of the state
//	path.bak            the previous generation
//	path.lock           the lock; it records the holder's pid, host, run ID and start time
//	path.runs.jsonl     the summary log: one JSON record per ended run
//	path.corrupt        a state file that failed verification, moved aside by the next save
//	path.tmp-<hex>      a generation being written (removed by the next Open after a crash)
//
// path is the real file: Open follows the symbolic links of the path it is
// given and of its directories (File.Path returns the result), so the files
// above lie beside the link's target, a process opening the link and one
// opening the target contend for the same lock, and a save replaces the
// target, leaving the link in place. A link whose target does not exist yet
// is followed too, and the first save creates the target. ReadRuns resolves
// its path the same way.
//
// The state file is JSON meant to be read with jq:
//
//	{
//	  "format": "harden.statefile/v1",
//	  "schema_version": 2,
//	  "generation": 118,
//	  "saved_at": "2026-06-11T02:14:09.5121Z",
//	  "checksum": "sha256:9f86d0...",
//	  "run": {"run_id": "20260611T020000Z-1a2b3c4d5e6f", "status": "running", ...},
//	  "state": {"last": "order-5521"}
//	}
//
// The checksum is the SHA-256 of the exact bytes of the "state" member as
// they appear in the file. "run" is present while a run is active. The
// generation grows by one with every save. A file edited by hand fails its
// checksum, so Open loads the backup instead and says so.
//
// # Saving and crash safety
//
// Save writes the whole file to a temporary file created with O_EXCL in
// the same directory, fsyncs and closes it, hard-links the current file as
// path.bak (replacing the older backup), renames the temporary file over
// path and fsyncs the directory. At every instant path holds a complete
// generation: if the process is killed at any point, path holds either the
// generation of the last Save that returned or the one that was being
// saved, and after a power loss the same holds on a journaling file system
// (ext4, XFS, APFS, NTFS), which replays metadata changes in order. Keeping the backup costs no extra fsync: the link and the rename
// are made durable by the same directory fsync. Where hard links are not
// supported, the current file is renamed to path.bak instead, and for the
// instant until the new file is renamed in, only path.bak exists; Open then
// loads it.
//
// Open verifies the format, the header and the checksum. A torn, truncated
// or checksum-failing state file makes Open load path.bak, log the fact at
// Error level and report it through Recovered; the next save moves the
// invalid file aside to path.corrupt. When neither file is valid, Open fails
// with an error naming both files and what is wrong with each (it matches
// ErrCorrupt); it never starts from the zero state when a file was there. A
// missing state file and backup give the zero state. To start over on
// purpose, remove both path and path.bak.
//
// A failed save (no space, an I/O error, a permission problem) returns an
// error naming the path and the failed step, leaves the previous generation
// in place and the File usable: the unsaved changes are still in memory for
// the next Save.
//
// # Schema versions
//
// Options.SchemaVersion is the version of T this program writes. A file
// with an older version is brought up to date by Options.Migrations, which
// work on the state's JSON, and saved with the new version by the next
// save. A file written by a newer version (or in a newer format) is refused
// with an error that names the file and both versions (it matches
// ErrNewerVersion), and is left untouched: an older binary rolled back by
// mistake cannot destroy a newer state.
//
// # State in memory
//
// The state is held as JSON. State returns a copy no one else shares,
// decoded from it (the first State or Update after Open takes the copy Open
// decoded to verify the file), and Update gives its function such a copy and keeps the result only if the function
// returns nil and the result encodes; so a caller never shares memory with
// the File, and a state that cannot be stored is rejected by Update, not by
// a later Save. Nothing is written until Save.
//
// # Locking
//
// Open takes an exclusive kernel lock on path.lock: flock(2) on Unix,
// LockFileEx on Windows. The kernel releases it when the process exits or
// is killed, so there are no stale locks to clean up; do not delete the
// lock file. A second Open, from another process or from the same one,
// fails at once (or after Options.LockTimeout) with a *LockedError that
// names the path and the holder recorded in the lock file. A job started
// by cron while its previous run is still going can test
// errors.Is(err, ErrLocked) and exit quietly. The lock is advisory and
// local: it does not protect a state file on a network file system shared
// between machines.
//
// # Runs and the summary log
//
// Begin starts a run: it gets an ID, and is saved in the state file as
// running with its start time, pid and host. Add counts items,
// ItemFailed records failed items (the first Options.MaxItemFailures with
// their errors, all of them counted), and Finish(err) ends the run as
// failed (err != nil), partial (some items failed) or succeeded. Every save
// while the run is active stores its progress; if the process dies, the
// next Open finds the run still marked running and records it as abandoned,
// with its counts at the last save. Close records an active run as
// abandoned too.
//
// Each ended run appends one JSON line to path.runs.jsonl (fsynced) and
// writes a one-line summary through slog: Info for succeeded, Warn for
// partial, Error for failed and abandoned. The log keeps the newest
// Options.KeepRuns records; when it would hold more it is rewritten
// atomically. A line torn by a crash during an append is skipped by readers
// and cut off by the next append. ReadRuns reads the newest records without
// taking the lock, for operators and for health checks such as "the last
// success is less than 26 hours old"; ExitCode maps a status to an exit
// code for cron and systemd.
//
// # Platforms
//
// The package builds and locks on Linux, macOS, the BSDs and Windows
// (elsewhere Open fails: no lock is available). On macOS, fsync is done
// with F_FULLFSYNC. On Windows the rename is MoveFileEx with
// MOVEFILE_REPLACE_EXISTING and MOVEFILE_WRITE_THROUGH, and directories
// cannot be fsynced; replacing a file is atomic on NTFS in practice but not
// documented to be, so Windows replace semantics are best effort, and a save
// fails (leaving the previous generation in place) while another program
// holds the state file or its backup open without sharing delete access.
package statefile
