package pgstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// state4KiB returns a 4 KiB JSON state.
func state4KiB(b *testing.B) json.RawMessage {
	items := make(map[string]int, 200)
	for i := range 200 {
		items[fmt.Sprintf("item-%05d", i)] = i * 7919
	}
	state, err := json.Marshal(map[string]any{"cursor": "order-5521", "items": items})
	if err != nil {
		b.Fatal(err)
	}
	for len(state) < 4096 {
		state, _ = json.Marshal(map[string]any{"pad": string(state)})
	}
	return state[:len(state):len(state)]
}

// BenchmarkSave4KiB compares a 4 KiB save through the store with the
// fenced UPDATE a user would write by hand on one connection (by-hand; the
// goal is pgstore ≤ 1.2× by-hand), and with the store's own statement run
// by hand (store-sql), which also keeps the previous generation and its
// checksum. With synchronous_commit on, the server's WAL flush dominates
// and varies with the disk's other load; off, the difference is the
// statements' own cost.
func BenchmarkSave4KiB(b *testing.B) {
	for _, commit := range []string{"on", "off"} {
		b.Run("synchronous_commit="+commit, func(b *testing.B) {
			benchSave(b, newPool(b, testSchema, uniqueName(b), "synchronous_commit", commit))
		})
	}
}

func benchSave(b *testing.B, pool *pgxpool.Pool) {
	state := state4KiB(b)
	ctx := context.Background()

	b.Run("impl=pgstore", func(b *testing.B) {
		s := pgstore.New(pool, uniqueName(b))
		defer s.Close()
		if err := s.Lock(ctx, statefile.Holder{PID: 1, Host: "bench"}); err != nil {
			b.Fatal(err)
		}
		snap := &statefile.Snapshot{SchemaVersion: 1, State: state}
		b.SetBytes(int64(len(state)))
		for b.Loop() {
			snap.Generation++
			if err := s.Save(ctx, snap); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("impl=store-sql", func(b *testing.B) {
		name := uniqueName(b)
		s := pgstore.New(pool, name)
		err := s.Lock(ctx, statefile.Holder{PID: 1, Host: "bench"})
		if err == nil {
			err = s.Save(ctx, &statefile.Snapshot{Generation: 1, SchemaVersion: 1, State: state})
		}
		s.Close()
		if err != nil {
			b.Fatal(err)
		}
		conn, err := pool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Release()
		b.SetBytes(int64(len(state)))
		gen := int64(1)
		for b.Loop() {
			gen++
			tag, err := conn.Exec(ctx, pgstore.UpdateSQL, name, gen, 1, time.Now(), nil, string(state))
			if err != nil || tag.RowsAffected() != 1 {
				b.Fatal(err, tag)
			}
		}
	})

	b.Run("impl=by-hand", func(b *testing.B) {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Release()
		name := uniqueName(b)
		_, err = conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_by_hand (name text PRIMARY KEY, generation bigint NOT NULL, state jsonb NOT NULL);
			INSERT INTO bench_by_hand VALUES ('`+name+`', 0, '{}')`)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Exec(ctx, `DELETE FROM bench_by_hand WHERE name = $1`, name)
		b.SetBytes(int64(len(state)))
		var gen int64
		for b.Loop() {
			tag, err := conn.Exec(ctx, `UPDATE bench_by_hand SET generation = $2 + 1, state = $3 WHERE name = $1 AND generation = $2`,
				name, gen, string(state))
			if err != nil || tag.RowsAffected() != 1 {
				b.Fatal(err, tag)
			}
			gen++
		}
	})
}
