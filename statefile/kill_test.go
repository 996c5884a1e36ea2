//go:build unix

package statefile

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKillDuringSaves kills a process that saves in a loop with SIGKILL at
// random moments, 200 times. After every kill the next Open must succeed
// without needing the backup, and load exactly the last generation whose
// save returned (as the child reported it) or the one after it.
func TestKillDuringSaves(t *testing.T) {
	const kills = 200
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed>>7))
	t.Logf("seed %d", seed)

	dir := tempDir(t)
	path := filepath.Join(dir, "state.json")
	var knownGen uint64
	var knownCounter int
	begun := map[string]bool{}
	var midSaveKills int

	for i := range kills {
		c := startChild(t, "saveloop", path)
		var lines []string
		if rng.IntN(4) == 0 {
			// Anywhere: during start-up, Open (which records the previous
			// child's run as abandoned), Begin, or the saves.
			time.Sleep(time.Duration(rng.IntN(20_000)) * time.Microsecond)
		} else {
			line := c.next(t)
			if !strings.HasPrefix(line, "begun ") {
				t.Fatalf("kill %d: child said %q", i, line)
			}
			lines = append(lines, line)
			time.Sleep(time.Duration(rng.IntN(8_000)) * time.Microsecond)
		}
		if err := c.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, c.rest()...)
		if ws := c.cmd.ProcessState.String(); !strings.Contains(ws, "killed") {
			t.Fatalf("kill %d: child ended with %s before the kill; stderr: %s", i, ws, c.stderr.String())
		}

		for _, line := range lines {
			f := strings.Fields(line)
			switch {
			case len(f) == 4 && f[0] == "begun":
				begun[f[1]] = true
				knownGen, knownCounter = parseGen(t, f[2]), parseInt(t, f[3])
			case len(f) == 3 && f[0] == "saved":
				knownGen, knownCounter = parseGen(t, f[1]), parseInt(t, f[2])
			default:
				t.Fatalf("kill %d: unexpected child output %q", i, line)
			}
		}

		f, err := Open[testState](t.Context(), path, quietOptions())
		if err != nil {
			t.Fatalf("kill %d: Open after SIGKILL: %v", i, err)
		}
		gen, counter := f.Generation(), stateOf(t, f).Counter
		if err := f.Recovered(); err != nil {
			t.Errorf("kill %d: Open needed the backup: %v", i, err)
		}
		f.Close()
		switch {
		case gen == knownGen && counter == knownCounter:
		case gen == knownGen+1 && (counter == knownCounter || counter == knownCounter+1):
			midSaveKills++
		default:
			t.Fatalf("kill %d: loaded generation %d counter %d; the last returned save was generation %d counter %d",
				i, gen, counter, knownGen, knownCounter)
		}
		knownGen, knownCounter = gen, counter
		if temps := tempFiles(t, dir); len(temps) != 0 {
			t.Fatalf("kill %d: temporary files after Open: %v", i, temps)
		}
	}
	t.Logf("%d kills, %d between a save's rename and its report; final generation %d", kills, midSaveKills, knownGen)
	if knownCounter < kills/2 {
		t.Errorf("only %d saves in %d runs: the kills did not land among the saves", knownCounter, kills)
	}

	// Every run the children reported is in the summary log once, as
	// abandoned, and no run is there twice.
	recs, err := ReadRuns(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.RunID]++
		if r.Status != StatusAbandoned {
			t.Errorf("run %s has status %s, want abandoned", r.RunID, r.Status)
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("run %s is in the summary log %d times", id, n)
		}
	}
	for id := range begun {
		if seen[id] != 1 {
			t.Errorf("run %s began but is not in the summary log", id)
		}
	}
}

func parseGen(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(fmt.Errorf("generation %q: %w", s, err))
	}
	return n
}

func parseInt(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(fmt.Errorf("counter %q: %w", s, err))
	}
	return n
}
