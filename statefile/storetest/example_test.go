package storetest_test

import (
	"path/filepath"
	"testing"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/storetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A store's test runs the suite with a function that opens a store of a
// new job for each subtest, and the same job's store again when called
// again with the same subtest. newStore stands for the store's own
// constructor, such as pgstore.New(pool, name).
func ExampleRun() {
	var newStore func(path string) statefile.Store
	_ = func(t *testing.T) {
		dirs := map[*testing.T]string{}
		storetest.Run(t, func(t *testing.T) statefile.Store {
			if dirs[t] == "" {
				dirs[t] = t.TempDir()
			}
			return newStore(filepath.Join(dirs[t], "state.json"))
		})
	}
}
