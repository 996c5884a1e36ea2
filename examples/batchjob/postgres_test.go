package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// postgresState returns a -state URL on the test server, in a schema of its
// own so that the job's tables start empty. Without a server the test is
// skipped, unless CI is set: CI always has one.
func postgresState(t *testing.T) string {
	t.Helper()
	base := os.Getenv("HARDEN_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s: %v", base, err)
		}
		t.Skipf("no PostgreSQL at %s (%v): start one, or set HARDEN_TEST_POSTGRES, to run this test", base, err)
	}
	defer conn.Close(context.Background())
	schema := fmt.Sprintf("batchjob_%x", rand.Text()[:12])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			_ = c.Close(context.Background())
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// readPostgresCheckpoint reads the checkpoint from its row without taking
// the lock; ok is false when the job has saved none yet.
func readPostgresCheckpoint(t *testing.T, state string) (cp checkpoint, ok bool) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var raw []byte
	err = conn.QueryRow(t.Context(), "SELECT state FROM statefile_state WHERE name = $1", jobName).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) || isUndefinedTable(err) {
		return cp, false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &cp); err != nil {
		t.Fatalf("state row: %v", err)
	}
	return cp, true
}

func isUndefinedTable(err error) bool {
	var pgErr interface{ SQLState() string }
	return errors.As(err, &pgErr) && pgErr.SQLState() == "42P01"
}

// readRuns returns the newest n run records (all with n = 0) of state, a
// file or a PostgreSQL URL, newest first.
func readRuns(t *testing.T, state string, n int) ([]statefile.Record, error) {
	t.Helper()
	if !inPostgres(state) {
		return statefile.ReadRuns(state, n)
	}
	pool, err := pgxpool.New(t.Context(), state)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	s := pgstore.New(pool, jobName)
	defer s.Close()
	return s.ReadRuns(t.Context(), n)
}
