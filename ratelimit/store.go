package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// A Store keeps the state of every key and applies the limit to it. Allow
// records one request for key under the policy named name and returns the
// decision, in one atomic step: concurrent calls for one key must see each
// other's effect, as if made one after the other. Keys of different names
// are independent. The limit has been checked by Limit.Validate.
//
// Every Store runs the same algorithm (GCRA, as Limit documents it), so
// that the package storetest can hold each one to the same answers.
type Store interface {
	Allow(ctx context.Context, name, key string, limit Limit) (Decision, error)
}

// DefaultMaxKeys is the number of keys a MemoryStore keeps when
// NewMemoryStore is given 0: about 5 MB.
const DefaultMaxKeys = 100_000

// shards spreads keys over separate locks, so that concurrent requests for
// different keys rarely wait for each other.
const shards = 32

// sample is how many entries a full shard looks at to choose one to evict.
const sample = 8

// A MemoryStore is a Store in this process's memory, for a service that runs
// as one replica. It is safe for concurrent use; its zero value is not
// usable: call NewMemoryStore.
//
// It keeps one 8-byte time per key, indexed by a 64-bit hash of the name
// and key (with a random seed, so clients cannot choose collisions), and
// never more than its maximum number of keys: about 50 bytes each, however
// long the keys are. A key whose state has run out (its whole burst is back)
// is expired and equal to a key never seen. When a new key finds its shard
// full, the store deletes the expired keys among a few it samples, or else
// the one of them nearest to expiry, which then starts again with a whole
// burst: a flood of new keys (spoofed clients) costs the keys that used the
// least of their limit first. Expired keys are deleted only then, since Go
// maps do not shrink: deleting them earlier would return no memory.
type MemoryStore struct {
	nameSeed, keySeed maphash.Seed
	start             time.Time // times are kept as nanoseconds since start
	perShard          int
	shards            [shards]memShard
}

type memShard struct {
	mu   sync.Mutex
	tats map[uint64]int64 // hash of name and key → theoretical arrival time
}

// NewMemoryStore returns a MemoryStore that keeps at most maxKeys keys
// (DefaultMaxKeys if maxKeys ≤ 0; at least 32).
func NewMemoryStore(maxKeys int) *MemoryStore {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	s := &MemoryStore{nameSeed: maphash.MakeSeed(), keySeed: maphash.MakeSeed(), start: time.Now(), perShard: max(1, maxKeys/shards)}
	for i := range s.shards {
		s.shards[i].tats = make(map[uint64]int64)
	}
	return s
}

// Allow implements Store on the monotonic clock. It never fails.
func (s *MemoryStore) Allow(_ context.Context, name, key string, limit Limit) (Decision, error) {
	// Two hashes with two seeds cost half of one maphash.Hash over both.
	k := maphash.String(s.nameSeed, name) ^ maphash.String(s.keySeed, key)
	sh := &s.shards[k%shards]
	// The monotonic clock alone: half the cost of time.Now, a third of a decision.
	now := int64(time.Since(s.start))

	sh.mu.Lock()
	defer sh.mu.Unlock()
	tat, known := sh.tats[k]
	next, d := limit.decide(tat, now)
	if d.Allowed {
		if !known && len(sh.tats) >= s.perShard {
			sh.evict(now)
		}
		sh.tats[k] = next
	}
	return d, nil
}

// evict deletes the expired entries among a few, or else the one of them
// that expires first. Map iteration starts at a random entry.
func (sh *memShard) evict(now int64) {
	var victim uint64
	soonest, n, deleted := int64(1<<63-1), 0, false
	for k, tat := range sh.tats {
		if tat <= now {
			delete(sh.tats, k)
			deleted = true
		} else if tat < soonest {
			victim, soonest = k, tat
		}
		if n++; n == sample {
			break
		}
	}
	if !deleted {
		delete(sh.tats, victim)
	}
}

// Len returns the number of keys the store holds, expired ones included.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.tats)
		sh.mu.Unlock()
	}
	return n
}
