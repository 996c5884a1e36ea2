package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	goleak.VerifyTestMain(m)
}

// testSchema holds the tables of most tests; each test uses its own job
// names, so tests run in parallel and rerun on the same tables.
const testSchema = "pgstore_test"

// serverURL is the test server, from HARDEN_TEST_POSTGRES.
func serverURL() string {
	if u := os.Getenv("HARDEN_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// newPool connects a pool to the test server, in schema (created if
// missing), with its own application_name so that a test can find its
// sessions, and the settings in params (name, value, ...). It skips the
// test when no server answers, unless CI=true.
func newPool(tb testing.TB, schema, app string, params ...string) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(serverURL())
	if err != nil {
		tb.Fatalf("HARDEN_TEST_POSTGRES: %v", err)
	}
	cfg.MaxConns = 4
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	for i := 0; i+1 < len(params); i += 2 {
		cfg.ConnConfig.RuntimeParams[params[i]] = params[i+1]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL at %s: %v (CI=true: these tests never skip)", serverURL(), err)
		}
		tb.Skipf("no PostgreSQL at %s (%v): start it there or set HARDEN_TEST_POSTGRES to run these tests (with CI=true they fail instead)", serverURL(), err)
	}
	_, err = pool.Exec(ctx, `SELECT pg_advisory_xact_lock(42); CREATE SCHEMA IF NOT EXISTS `+quoteIdent(schema))
	if err != nil {
		pool.Close()
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// testPool is newPool in the shared test schema.
func testPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	return newPool(tb, testSchema, uniqueName(tb))
}

// uniqueName returns a job name no other test or run uses.
func uniqueName(tb testing.TB) string {
	var b [6]byte
	rand.Read(b[:])
	name := strings.NewReplacer("/", "-", " ", "-").Replace(tb.Name())
	return name + "-" + hex.EncodeToString(b[:])
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ctxT returns a context that ends with the test, bounded generously.
func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}
