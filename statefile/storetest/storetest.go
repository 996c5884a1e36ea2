// Package storetest provides the conformance tests every statefile.Store
// passes: the file store behind statefile.Open and any other store, such
// as statefile/pgstore's.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hardenkit/harden/statefile"
)

// Run runs the conformance tests as subtests of t. open is called with a
// subtest's t and returns a new, unlocked Store each time: the stores
// opened with one t are of the same job (the same path, or the same name),
// so that they contend for one lock and see each other's generations, and
// that job is new, with nothing saved. Run closes every store it opens.
func Run(t *testing.T, open func(t *testing.T) statefile.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, func() statefile.Store)
	}{
		{"Empty", testEmpty},
		{"SaveAndLoad", testSaveAndLoad},
		{"LockIsExclusive", testLockIsExclusive},
		{"Fencing", testFencing},
		{"Runs", testRuns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, func() statefile.Store {
				s := open(t)
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
				return s
			})
		})
	}
}

// at is a time every store keeps exactly: whole seconds, in UTC.
var at = time.Date(2026, 6, 11, 2, 0, 0, 0, time.UTC)

func holder(pid int) statefile.Holder {
	return statefile.Holder{PID: pid, Host: "storetest-host", Started: at}
}

func lock(t *testing.T, s statefile.Store, pid int) {
	t.Helper()
	if err := s.Lock(context.Background(), holder(pid)); err != nil {
		t.Fatalf("Lock: %v", err)
	}
}

func snapshot(gen uint64, counter int, run *statefile.Record) *statefile.Snapshot {
	return &statefile.Snapshot{
		Generation:    gen,
		SchemaVersion: 2,
		SavedAt:       at.Add(time.Duration(gen) * time.Second),
		Run:           run,
		State:         json.RawMessage(fmt.Sprintf(`{"counter":%d,"names":["a","b"]}`, counter)),
	}
}

func save(t *testing.T, s statefile.Store, snap *statefile.Snapshot) {
	t.Helper()
	if err := s.Save(context.Background(), snap); err != nil {
		t.Fatalf("Save generation %d: %v", snap.Generation, err)
	}
}

func load(t *testing.T, s statefile.Store) *statefile.Snapshot {
	t.Helper()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return snap
}

// sameJSON reports whether a and b hold the same JSON value, whatever
// their layout and key order.
func sameJSON(a, b []byte) bool {
	var va, vb any
	return json.Unmarshal(a, &va) == nil && json.Unmarshal(b, &vb) == nil && reflect.DeepEqual(va, vb)
}

// checkSnapshot compares what a store loaded with what was saved.
func checkSnapshot(t *testing.T, got, want *statefile.Snapshot) {
	t.Helper()
	switch {
	case got == nil:
		t.Fatalf("Load = nil, want generation %d", want.Generation)
	case got.Generation != want.Generation || got.SchemaVersion != want.SchemaVersion || !got.SavedAt.Equal(want.SavedAt):
		t.Errorf("Load = generation %d, schema %d, saved at %v; want %d, %d, %v",
			got.Generation, got.SchemaVersion, got.SavedAt, want.Generation, want.SchemaVersion, want.SavedAt)
	case !sameJSON(got.State, want.State):
		t.Errorf("Load state = %s, want %s", got.State, want.State)
	case got.Recovered != nil:
		t.Errorf("Load reports a recovery from an intact store: %v", got.Recovered)
	case (got.Run == nil) != (want.Run == nil):
		t.Errorf("Load run = %+v, want %+v", got.Run, want.Run)
	case got.Run != nil && !sameRecord(*got.Run, *want.Run):
		t.Errorf("Load run = %+v, want %+v", *got.Run, *want.Run)
	}
}

func record(id string, status statefile.Status) statefile.Record {
	return statefile.Record{
		RunID: id, Status: status, Started: at, Ended: at.Add(time.Minute), PID: 42, Host: "storetest-host",
		Items: map[string]int64{"processed": 3}, ItemFailures: 1,
		Failures: []statefile.ItemFailure{{Item: "b.csv", Error: "bad row"}}, Generation: 7,
	}
}

func sameRecord(a, b statefile.Record) bool {
	return a.RunID == b.RunID && a.Status == b.Status && a.Started.Equal(b.Started) && a.Ended.Equal(b.Ended) &&
		a.PID == b.PID && a.Host == b.Host && reflect.DeepEqual(a.Items, b.Items) &&
		a.ItemFailures == b.ItemFailures && reflect.DeepEqual(a.Failures, b.Failures) &&
		a.Error == b.Error && a.Generation == b.Generation && a.LastSaved.Equal(b.LastSaved)
}

func testEmpty(t *testing.T, open func() statefile.Store) {
	s := open()
	lock(t, s, 1)
	if snap := load(t, s); snap != nil {
		t.Errorf("Load of a new store = generation %d, want nil", snap.Generation)
	}
	if recs, err := s.ReadRuns(context.Background(), 0); err != nil || len(recs) != 0 {
		t.Errorf("ReadRuns of a new store = %v, %v; want none", recs, err)
	}
}

func testSaveAndLoad(t *testing.T, open func() statefile.Store) {
	s := open()
	lock(t, s, 1)
	run := record("run-1", statefile.StatusRunning)
	run.Ended = time.Time{}
	var last *statefile.Snapshot
	for gen := uint64(1); gen <= 3; gen++ {
		last = snapshot(gen, int(gen)*10, nil)
		if gen == 3 {
			last.Run = &run
		}
		save(t, s, last)
	}
	checkSnapshot(t, load(t, s), last)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// The next holder finds the newest generation and can go on from it.
	next := open()
	lock(t, next, 2)
	checkSnapshot(t, load(t, next), last)
	four := snapshot(4, 40, nil)
	save(t, next, four)
	checkSnapshot(t, load(t, next), four)
}

func testLockIsExclusive(t *testing.T, open func() statefile.Store) {
	ctx := context.Background()
	a, b := open(), open()
	lock(t, a, 1)
	load(t, a)
	run := record("run-held", statefile.StatusRunning)
	save(t, a, snapshot(1, 1, &run))

	err := b.Lock(ctx, holder(2))
	var le *statefile.LockedError
	if !errors.As(err, &le) || !errors.Is(err, statefile.ErrLocked) {
		t.Fatalf("second Lock = %v, want a *LockedError matching ErrLocked", err)
	}
	want := holder(1)
	want.RunID = "run-held"
	if le.HolderErr != nil || le.Holder.PID != want.PID || le.Holder.Host != want.Host ||
		le.Holder.RunID != want.RunID || !le.Holder.Started.Equal(want.Started) {
		t.Errorf("LockedError names %+v (%v), want %+v", le.Holder, le.HolderErr, want)
	}
	if le.Lock == "" {
		t.Error("LockedError.Lock is empty")
	}

	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	lock(t, b, 2)
	if snap := load(t, b); snap == nil || snap.Generation != 1 {
		t.Errorf("the next holder loads %+v, want generation 1", snap)
	}
}

func testFencing(t *testing.T, open func() statefile.Store) {
	ctx := context.Background()
	a := open()
	lock(t, a, 1)
	load(t, a)
	one := snapshot(1, 1, nil)
	save(t, a, one)

	// A generation that does not follow the stored one is refused.
	for _, gen := range []uint64{1, 3} {
		if err := a.Save(ctx, snapshot(gen, 99, nil)); !errors.Is(err, statefile.ErrLockLost) {
			t.Errorf("Save of generation %d after generation 1 = %v, want ErrLockLost", gen, err)
		}
	}
	checkSnapshot(t, load(t, a), one)

	// A store that no longer holds the lock cannot save or append.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := open()
	lock(t, b, 2)
	load(t, b)
	two := snapshot(2, 2, nil)
	save(t, b, two)
	if err := a.Save(ctx, snapshot(2, 666, nil)); !errors.Is(err, statefile.ErrLockLost) {
		t.Errorf("Save by a closed store = %v, want ErrLockLost", err)
	}
	if err := a.AppendRun(ctx, record("stale", statefile.StatusSucceeded), 10); !errors.Is(err, statefile.ErrLockLost) {
		t.Errorf("AppendRun by a closed store = %v, want ErrLockLost", err)
	}
	checkSnapshot(t, load(t, b), two)
	if recs, err := b.ReadRuns(ctx, 0); err != nil || len(recs) != 0 {
		t.Errorf("ReadRuns = %v, %v; want no records", recs, err)
	}
}

func testRuns(t *testing.T, open func() statefile.Store) {
	ctx := context.Background()
	s := open()
	lock(t, s, 1)
	load(t, s)
	var all []statefile.Record
	for i := range 5 {
		r := record(fmt.Sprintf("run-%d", i), statefile.StatusSucceeded)
		if i == 3 {
			r.Status, r.Error, r.LastSaved = statefile.StatusAbandoned, "cut short", at.Add(time.Second)
		}
		all = append(all, r)
		if err := s.AppendRun(ctx, r, 3); err != nil {
			t.Fatalf("AppendRun %d: %v", i, err)
		}
	}
	check := func(s statefile.Store, n int, want ...int) {
		t.Helper()
		got, err := s.ReadRuns(ctx, n)
		if err != nil {
			t.Fatalf("ReadRuns(%d): %v", n, err)
		}
		if len(got) != len(want) {
			t.Fatalf("ReadRuns(%d) = %d records, want %d", n, len(got), len(want))
		}
		for i, w := range want {
			if !sameRecord(got[i], all[w]) {
				t.Errorf("ReadRuns(%d)[%d] = %+v, want %+v", n, i, got[i], all[w])
			}
		}
	}
	check(s, 0, 4, 3, 2) // the newest 3 kept, newest first
	check(s, 2, 4, 3)
	check(s, 10, 4, 3, 2)

	// Another store of the job reads them without the lock.
	check(open(), 1, 4)
}
