package pgstore

import (
	"context"
	"fmt"
)

// createTables creates the store's tables in the session's current schema
// (the first existing schema in search_path). The transaction-level
// advisory lock makes concurrent first uses wait for each other:
// CREATE TABLE IF NOT EXISTS alone can fail when two sessions race.
const createTables = `
SELECT pg_advisory_xact_lock(7365937820736413696);

CREATE TABLE IF NOT EXISTS statefile_state (
	name                 text PRIMARY KEY,
	generation           bigint NOT NULL,
	schema_version       integer NOT NULL,
	saved_at             timestamptz NOT NULL,
	checksum             text NOT NULL,
	run                  jsonb,
	state                jsonb NOT NULL,
	prev_generation      bigint,
	prev_schema_version  integer,
	prev_saved_at        timestamptz,
	prev_checksum        text,
	prev_run             jsonb,
	prev_state           jsonb
);

CREATE TABLE IF NOT EXISTS statefile_runs (
	id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name     text NOT NULL,
	run_id   text NOT NULL,
	status   text NOT NULL,
	started  timestamptz NOT NULL,
	ended    timestamptz,
	record   jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS statefile_runs_name_id ON statefile_runs (name, id);

CREATE TABLE IF NOT EXISTS statefile_holders (
	name         text PRIMARY KEY,
	pid          integer NOT NULL,
	host         text NOT NULL,
	started      timestamptz NOT NULL,
	backend_pid  integer NOT NULL
);`

// tablesExist is true when all three tables are there, so that a role
// without the CREATE privilege can use tables another role created.
const tablesExist = `SELECT to_regclass('statefile_state') IS NOT NULL
	AND to_regclass('statefile_runs') IS NOT NULL
	AND to_regclass('statefile_holders') IS NOT NULL`

// ensureTables creates the tables on first use.
func (s *Store) ensureTables(ctx context.Context) error {
	s.tablesMu.Lock()
	defer s.tablesMu.Unlock()
	if s.tablesReady {
		return nil
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, tablesExist).Scan(&ok); err != nil {
		return fmt.Errorf("look for the tables: %w", err)
	}
	if !ok {
		if _, err := s.pool.Exec(ctx, createTables); err != nil {
			return fmt.Errorf("create the tables (in the first schema of search_path, which must exist): %w", err)
		}
	}
	s.tablesReady = true
	return nil
}
