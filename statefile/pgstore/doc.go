// Package pgstore provides a statefile.Store on PostgreSQL, for a job that
// may start on any of several hosts, sometimes two at once: the lock, the
// state and the run records live in the database, not beside the job.
//
// Stay with the file store while the job runs on one host: it needs no
// server and a save costs an fsync, not a round trip. Move when the job is
// scheduled on several hosts or its state must outlive the host's disk.
// The change is one line:
//
//	f, err := statefile.Open[T](ctx, path, opts)
//	f, err := statefile.OpenStore[T](ctx, pgstore.New(pool, "job"), opts)
//
// # Tables
//
// The first call that needs them creates three tables in the first schema
// of the session's search_path ("public" by default; choose another with
// search_path in the pool's connection string, the schema must exist):
// statefile_state holds one row per job name with the generation, schema
// version, saved_at, the checksum and the state as jsonb, and the previous
// generation in its prev_ columns; statefile_runs holds the run records
// (status, started, ended and the whole record as jsonb); statefile_holders
// names each lock's holder. A role without the CREATE privilege works on
// tables another role created. Edited by hand, a state fails its checksum
// and the previous generation is loaded instead. jsonb cannot hold a
// string with \u0000: a save of such a state fails and changes nothing.
//
// # Lock and fencing
//
// Lock takes pg_try_advisory_lock on a key derived from the name, on a
// session of its own opened with the pool's configuration and kept until
// Close; a loser's *statefile.LockedError names the holder's host, pid,
// start and run. Every save and run record is written on that session, and
// a save stores generation n only where the row holds n-1. A holder whose
// session ended (terminated, cut off, or the server restarted) has lost the
// lock: its writes fail with an error matching statefile.ErrLockLost, and
// the next holder loads the last generation that was stored. A statement
// interrupted by its context is cancelled on the server and keeps the lock,
// unless the server does not answer within 2 s: then the session is closed.
// The lock needs a real session: connect directly or through a pooler in
// session mode, never in transaction mode.
//
// A process that dies on a running host releases the lock at once: its
// kernel closes the connection. A host that vanishes keeps its session
// until the server's TCP keepalives give up, after tcp_keepalives_idle +
// tcp_keepalives_interval × tcp_keepalives_count (the operating system's
// defaults allow over two hours). Bound it in the connection string, which
// pgx passes to the server as settings, for about a minute:
//
//	postgres://job@db/app?tcp_keepalives_idle=30&tcp_keepalives_interval=10&tcp_keepalives_count=3
//
// On the holder's side, a server that vanished is noticed by the next
// statement's context deadline or by the dialer's keepalive (Go's default:
// 15 s, then 9 probes 15 s apart). An idle_session_timeout set for the
// job's role would end the idle lock session: leave it at 0.
package pgstore
