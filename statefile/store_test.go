package statefile_test

import (
	"path/filepath"
	"testing"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/storetest"
)

func TestFileStoreConformance(t *testing.T) {
	dirs := map[*testing.T]string{}
	storetest.Run(t, func(t *testing.T) statefile.Store {
		if dirs[t] == "" {
			dirs[t] = t.TempDir()
		}
		s, err := statefile.NewFileStore(filepath.Join(dirs[t], "state.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// The memory store of ExampleOpenStore keeps the contract too.
func TestMemoryStoreConformance(t *testing.T) {
	jobs := map[*testing.T]*memJob{}
	storetest.Run(t, func(t *testing.T) statefile.Store {
		if jobs[t] == nil {
			jobs[t] = &memJob{}
		}
		return &memStore{job: jobs[t]}
	})
}
