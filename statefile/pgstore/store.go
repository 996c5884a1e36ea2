package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hardenkit/harden/statefile"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store keeps a statefile.File in PostgreSQL under one job name. Get one
// from New and give it to statefile.OpenStore, which owns it from then on.
// Its methods are safe for concurrent use; its zero value is not usable.
type Store struct {
	pool *pgxpool.Pool
	name string
	key  int64 // the advisory lock's key

	tablesMu    sync.Mutex
	tablesReady bool

	mu     sync.Mutex // guards the fields below and serializes use of conn
	conn   *pgx.Conn  // the lock's session, from the first Lock until Close
	held   bool       // conn took the lock
	lost   error      // why the lock is lost, once it is
	closed bool
	// damaged is the generation of a row that failed verification, which
	// Load skipped for the previous one: the next Save replaces it.
	damaged int64
}

var _ statefile.Store = (*Store)(nil)

// New returns a Store for the job called name on pool. It does not touch
// the server: the tables are created, when missing, by the first call that
// needs them. Lock opens a session of its own with pool's configuration
// and keeps it until Close; the other calls borrow a connection from pool.
func New(pool *pgxpool.Pool, name string) *Store {
	sum := sha256.Sum256([]byte("harden/statefile/pgstore\x00" + name))
	return &Store{pool: pool, name: name, key: int64(binary.BigEndian.Uint64(sum[:8]))}
}

// String names the store in a File's messages: pgstore "name".
func (s *Store) String() string { return fmt.Sprintf("pgstore %q", s.name) }

// errorf returns an error prefixed with the package. The File's messages
// name the store.
func (s *Store) errorf(op string, err error) error {
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// start checks what every call needs: a pool, a name and the tables.
func (s *Store) start(ctx context.Context) error {
	switch {
	case s.pool == nil:
		return errors.New("the pool is nil")
	case s.name == "":
		return errors.New("the job name is empty")
	}
	return s.ensureTables(ctx)
}

// Lock takes the session-level advisory lock for the store's name on a
// session of its own, opened with the pool's configuration and kept until
// Close: the lock lasts as long as that session. It records h in
// statefile_holders; when another session holds the lock, it returns a
// *statefile.LockedError naming that holder.
func (s *Store) Lock(ctx context.Context, h statefile.Holder) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return s.errorf("lock", errors.New("store is closed"))
	case s.held:
		return s.errorf("lock", errors.New("already locked by this store"))
	}
	if err := s.start(ctx); err != nil {
		return s.errorf("lock", err)
	}
	// The session stays open between attempts, so that waiting for the
	// lock opens no connection per try.
	if s.conn == nil || s.conn.IsClosed() {
		conn, err := s.connect(ctx)
		if err != nil {
			return s.errorf("lock: connect", err)
		}
		s.conn = conn
	}
	var got bool
	if err := s.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, s.key).Scan(&got); err != nil {
		return s.errorf("lock", err)
	}
	if !got {
		lerr := &statefile.LockedError{Lock: fmt.Sprintf("%v (advisory lock %d)", s, s.key)}
		lerr.Holder, lerr.HolderErr = s.holder(ctx)
		return lerr
	}
	_, err := s.conn.Exec(ctx, `INSERT INTO statefile_holders (name, pid, host, started, backend_pid)
		VALUES ($1, $2, $3, $4, pg_backend_pid())
		ON CONFLICT (name) DO UPDATE SET pid = $2, host = $3, started = $4, backend_pid = pg_backend_pid()`,
		s.name, h.PID, h.Host, h.Started)
	if err != nil {
		// Best effort: the session's end releases the lock anyway, and the
		// failed write is the error to report.
		_, _ = s.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, s.key)
		return s.errorf("lock: record the holder", err)
	}
	s.held = true
	return nil
}

// connect opens the lock's own session with the pool's configuration and
// hooks. A statement interrupted by its context is cancelled on the server
// and the session stays, and with it the lock: pgx's default would close
// the connection, losing the lock, and leave the interrupted save to
// commit or not.
func (s *Store) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.pool.Config()
	cc := cfg.ConnConfig
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelWait}
	}
	if cfg.BeforeConnect != nil {
		if err := cfg.BeforeConnect(ctx, cc); err != nil {
			return nil, err
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, err
	}
	if cfg.AfterConnect != nil {
		if err := cfg.AfterConnect(ctx, conn); err != nil {
			_ = conn.Close(ctx) // the hook's error is the one to report
			return nil, err
		}
	}
	return conn, nil
}

// cancelWait is how long a statement on the lock's session may go on after
// its context ended and the server was asked to cancel it; past that, the
// connection is closed and the lock lost.
const cancelWait = 2 * time.Second

// holder reads the record of the session holding the lock. The record is
// trusted only if that session still holds the lock: a record left by a
// holder that died is not the current holder. The run is the running one
// the newest saved generation names.
func (s *Store) holder(ctx context.Context) (statefile.Holder, error) {
	var (
		h       statefile.Holder
		runID   *string
		current bool
	)
	err := s.pool.QueryRow(ctx, `SELECT h.pid, h.host, h.started,
			CASE WHEN st.run->>'status' = 'running' THEN st.run->>'run_id' END,
			EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
				AND l.pid = h.backend_pid AND l.objsubid = 1
				AND l.classid = $2::bigint::oid AND l.objid = $3::bigint::oid)
		FROM statefile_holders h LEFT JOIN statefile_state st ON st.name = h.name
		WHERE h.name = $1`, s.name, uint32(s.key>>32), uint32(s.key)).Scan(&h.PID, &h.Host, &h.Started, &runID, &current)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return statefile.Holder{}, errors.New("the holder has not recorded itself yet")
	case err != nil:
		return statefile.Holder{}, err
	case !current:
		return statefile.Holder{}, fmt.Errorf("the holder has not recorded itself yet (the last record is of %v, which no longer holds the lock)", h)
	}
	h.Started = h.Started.UTC()
	if runID != nil {
		h.RunID = *runID
	}
	return h, nil
}

// Load returns the newest generation that passes its checksum: the
// current one, or the previous one (with Recovered saying why), which the
// next Save then follows, replacing the damaged one. It returns nil when
// nothing was saved under the name.
func (s *Store) Load(ctx context.Context) (*statefile.Snapshot, error) {
	if err := s.start(ctx); err != nil {
		return nil, s.errorf("load", err)
	}
	var cur, prev row
	err := s.pool.QueryRow(ctx, `SELECT generation, schema_version, saved_at, checksum, run, state,
			prev_generation, prev_schema_version, prev_saved_at, prev_checksum, prev_run, prev_state
		FROM statefile_state WHERE name = $1`, s.name).Scan(
		&cur.gen, &cur.schema, &cur.savedAt, &cur.sum, &cur.run, &cur.state,
		&prev.gen, &prev.schema, &prev.savedAt, &prev.sum, &prev.run, &prev.state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, s.errorf("load", err)
	}
	snap, cerr := cur.snapshot()
	s.mu.Lock()
	s.damaged = 0
	if cerr != nil {
		s.damaged = *cur.gen
	}
	s.mu.Unlock()
	if cerr == nil {
		return snap, nil
	}
	cerr = fmt.Errorf("generation %d in statefile_state: %w", *cur.gen, cerr)
	if prev.gen == nil {
		return nil, s.errorf("load", fmt.Errorf("%w; no previous generation is kept", cerr))
	}
	snap, perr := prev.snapshot()
	if perr != nil {
		return nil, s.errorf("load", fmt.Errorf("%w; previous generation %d: %w", cerr, *prev.gen, perr))
	}
	snap.Recovered = s.errorf("load", fmt.Errorf("%w; loaded the previous generation", cerr))
	return snap, nil
}

// row is one generation as statefile_state holds it.
type row struct {
	gen     *int64
	schema  *int32
	savedAt *time.Time
	sum     *string
	run     []byte
	state   []byte
}

// snapshot verifies r and returns it as a Snapshot.
func (r row) snapshot() (*statefile.Snapshot, error) {
	if r.gen == nil || r.schema == nil || r.savedAt == nil || r.sum == nil || r.state == nil {
		return nil, fmt.Errorf("%w: a column is null", statefile.ErrCorrupt)
	}
	if *r.gen < 1 {
		return nil, fmt.Errorf("%w: generation is %d, want at least 1", statefile.ErrCorrupt, *r.gen)
	}
	if got := checksum(r.state); got != *r.sum {
		return nil, fmt.Errorf("%w: checksum mismatch: row says %s, state hashes to %s (edited by hand?)",
			statefile.ErrCorrupt, *r.sum, got)
	}
	snap := &statefile.Snapshot{
		Generation:    uint64(*r.gen),
		SchemaVersion: int(*r.schema),
		SavedAt:       r.savedAt.UTC(),
		State:         json.RawMessage(r.state),
	}
	if r.run != nil {
		snap.Run = new(statefile.Record)
		if err := json.Unmarshal(r.run, snap.Run); err != nil {
			return nil, fmt.Errorf("%w: run: %v", statefile.ErrCorrupt, err)
		}
	}
	return snap, nil
}

// checksum is the SHA-256 of the state's jsonb text, as the server computes
// it on save (see sumSQL).
func checksum(state []byte) string {
	sum := sha256.Sum256(state)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// The server checksums the state as jsonb prints it, which is also how it
// reaches Load, so the checksum covers exactly the bytes Load verifies.
const (
	sumSQL = `'sha256:' || encode(sha256(convert_to($6::jsonb::text, 'UTF8')), 'hex')`

	// insertSQL saves the first generation. Fencing: it inserts nothing if
	// any generation exists.
	insertSQL = `INSERT INTO statefile_state (name, generation, schema_version, saved_at, run, state, checksum)
		VALUES ($1, $2, $3, $4, $5, $6, ` + sumSQL + `) ON CONFLICT (name) DO NOTHING`

	setSQL = `generation = $2, schema_version = $3, saved_at = $4, run = $5, state = $6, checksum = ` + sumSQL

	// updateSQL saves a later generation and keeps the one it replaces.
	// Fencing: it updates nothing unless the stored generation is the one
	// before.
	updateSQL = `UPDATE statefile_state SET
			prev_generation = generation, prev_schema_version = schema_version, prev_saved_at = saved_at,
			prev_checksum = checksum, prev_run = run, prev_state = state, ` + setSQL + `
		WHERE name = $1 AND generation = $2 - 1`

	// replaceSQL saves over a damaged generation $7 that Load skipped for
	// the previous one, which it keeps. Fencing: it updates nothing unless
	// the row is as Load found it.
	replaceSQL = `UPDATE statefile_state SET ` + setSQL + `
		WHERE name = $1 AND generation = $7 AND prev_generation = $2 - 1`
)

// Save stores snap as the new generation on the lock's own session, and
// only if the stored generation is snap.Generation-1. A lost session or
// another generation stored means another holder may have taken over: the
// error then matches statefile.ErrLockLost, and every later Save and
// AppendRun fails the same way.
func (s *Store) Save(ctx context.Context, snap *statefile.Snapshot) error {
	if snap == nil || snap.Generation < 1 || snap.Generation > 1<<63-1 {
		return s.errorf("save", errors.New("the snapshot is nil or its generation is out of range"))
	}
	var run []byte
	if snap.Run != nil {
		var err error
		if run, err = json.Marshal(snap.Run); err != nil {
			return s.errorf("save", fmt.Errorf("generation %d: encode the run: %w", snap.Generation, err))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable("save"); err != nil {
		return err
	}
	args := []any{s.name, int64(snap.Generation), snap.SchemaVersion, snap.SavedAt, run, string(snap.State)}
	query := updateSQL
	switch {
	case snap.Generation == 1:
		query = insertSQL
	case s.damaged != 0:
		query, args = replaceSQL, append(args, s.damaged)
	}
	tag, err := s.conn.Exec(ctx, query, args...)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		return s.errorf("save", fmt.Errorf("generation %d: the state cannot be stored as jsonb: %w", snap.Generation, err))
	}
	if err != nil {
		return s.fail(ctx, "save", fmt.Errorf("generation %d: %w", snap.Generation, err))
	}
	if tag.RowsAffected() == 0 {
		s.lost = fmt.Errorf("generation %d: the stored generation is not %d: another holder has saved",
			snap.Generation, snap.Generation-1)
		if snap.Generation == 1 {
			s.lost = errors.New("generation 1: a generation is already stored: another holder has saved")
		}
		return s.errorf("save", fmt.Errorf("%w: %w", statefile.ErrLockLost, s.lost))
	}
	s.damaged = 0
	return nil
}

// AppendRun appends r to statefile_runs on the lock's own session and
// deletes the records beyond the newest keep.
func (s *Store) AppendRun(ctx context.Context, r statefile.Record, keep int) error {
	if keep < 1 {
		return s.errorf("append run", fmt.Errorf("keep is %d, want at least 1", keep))
	}
	rec, err := json.Marshal(r)
	if err != nil {
		return s.errorf("append run", fmt.Errorf("encode run %s: %w", r.RunID, err))
	}
	var ended *time.Time
	if !r.Ended.IsZero() {
		ended = &r.Ended
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.usable("append run"); err != nil {
		return err
	}
	// One statement, so the insert and the trim commit together. The
	// DELETE does not see the row being inserted, so it keeps keep-1 of
	// the older rows.
	_, err = s.conn.Exec(ctx, `WITH ins AS (
			INSERT INTO statefile_runs (name, run_id, status, started, ended, record)
			VALUES ($1, $2, $3, $4, $5, $6))
		DELETE FROM statefile_runs WHERE name = $1 AND id <= (
			SELECT id FROM statefile_runs WHERE name = $1 ORDER BY id DESC OFFSET $7 - 1 LIMIT 1)`,
		s.name, r.RunID, string(r.Status), r.Started, ended, rec, keep)
	if err != nil {
		return s.fail(ctx, "append run", fmt.Errorf("run %s: %w", r.RunID, err))
	}
	return nil
}

// ReadRuns returns up to n of the newest run records, newest first (all of
// them when n <= 0). It needs no lock.
func (s *Store) ReadRuns(ctx context.Context, n int) ([]statefile.Record, error) {
	if err := s.start(ctx); err != nil {
		return nil, s.errorf("read runs", err)
	}
	limit := any(nil) // LIMIT NULL is no limit
	if n > 0 {
		limit = n
	}
	rows, err := s.pool.Query(ctx, `SELECT id, record FROM statefile_runs WHERE name = $1 ORDER BY id DESC LIMIT $2`,
		s.name, limit)
	if err != nil {
		return nil, s.errorf("read runs", err)
	}
	var (
		recs []statefile.Record
		id   int64
		raw  []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &raw}, func() error {
		var r statefile.Record
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("statefile_runs id %d: %w", id, err)
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return nil, s.errorf("read runs", err)
	}
	return recs, nil
}

// usable returns the error for a write when the store does not hold the
// lock. s.mu must be held.
func (s *Store) usable(op string) error {
	switch {
	case s.closed:
		return s.errorf(op, fmt.Errorf("%w: the store is closed", statefile.ErrLockLost))
	case s.lost != nil:
		return s.errorf(op, fmt.Errorf("%w: %w", statefile.ErrLockLost, s.lost))
	case !s.held:
		return s.errorf(op, errors.New("the lock is not held (Lock did not succeed)"))
	}
	return nil
}

// fail wraps err from a statement on the lock's session. If the session is
// gone, so is the lock: the error matches statefile.ErrLockLost and the
// store stays lost. s.mu must be held.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w: %w", cerr, err)
	}
	if !s.conn.IsClosed() {
		return s.errorf(op, err)
	}
	s.lost = fmt.Errorf("the lock's session ended: %w", err)
	return s.errorf(op, fmt.Errorf("%w: %w", statefile.ErrLockLost, s.lost))
}

// Close releases the lock and ends its session. The pool stays open; it
// belongs to the caller.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Unlock before closing: the server ends a closed session a moment
	// later, and the next holder must find the lock free once Close returns.
	var err error
	if s.held && !s.conn.IsClosed() {
		_, err = s.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, s.key)
	}
	err = errors.Join(err, s.conn.Close(ctx))
	s.conn = nil
	if err != nil && s.lost == nil {
		return s.errorf("close", err)
	}
	return nil
}
