package pgstore_test

import (
	"sync"
	"testing"

	"github.com/hardenkit/harden/statefile"
	"github.com/hardenkit/harden/statefile/pgstore"
	"github.com/hardenkit/harden/statefile/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	var (
		mu    sync.Mutex
		names = map[*testing.T]string{} // one job per subtest
	)
	storetest.Run(t, func(t *testing.T) statefile.Store {
		mu.Lock()
		defer mu.Unlock()
		if names[t] == "" {
			names[t] = uniqueName(t)
		}
		return pgstore.New(pool, names[t])
	})
}
