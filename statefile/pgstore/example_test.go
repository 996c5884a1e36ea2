package pgstore_test

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A job scheduled on several hosts keeps its state in PostgreSQL: the host
// that gets the lock runs it, and the others exit quietly. (It needs a
// server, so it is compiled but not run by go test; TestKill9InALoop and
// the disruption tests run the same calls.)
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	type Cursor struct{ Last string }
	f, err := statefile.OpenStore[Cursor](ctx, pgstore.New(pool, "nightly-sync"),
		&statefile.Options{LockTimeout: 5 * time.Second})
	if errors.Is(err, statefile.ErrLocked) {
		log.Print(err) // names the host, pid and run holding the lock
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	run, err := f.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	run.Add("processed", 1)
	err = f.Update(ctx, func(c *Cursor) error { c.Last = "order-5521"; return nil })
	if errors.Is(err, statefile.ErrLockLost) {
		log.Print(err) // another host may have taken over: stop writing
	}
	rec, err := run.Finish(err)
	if err != nil {
		log.Print(err)
	}
	log.Printf("run %s %s", rec.RunID, rec.Status)
}
