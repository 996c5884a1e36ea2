package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"go.uber.org/goleak"
)

// prototypeFindings are the habits in testdata/prototype, one per line.
var prototypeFindings = []string{
	"main.go:11:15: secrets:",
	"main.go:20:12: bodylimit:",
	"main.go:21:3: errtext:",
	"main.go:24:2: printlog:",
	"main.go:26:2: inplace:",
	"main.go:26:14: errcheck:",
	"main.go:31:12: healthroute:",
	"main.go:31:12: srvtimeout:",
}

func runIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(filepath.Join("testdata", dir))
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestText(t *testing.T) {
	code, out, stderr := runIn(t, "prototype")
	if code != exitFindings {
		t.Fatalf("exit = %d, want %d; stderr: %s", code, exitFindings, stderr)
	}
	lines := strings.Split(out, "\n")
	for i, want := range prototypeFindings {
		if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d = %q, want prefix %q\n%s", i+1, lines[i], want, out)
		}
	}
	for _, want := range []string{
		"Readiness: 8 finding(s)",
		"operational surface (logging, health)                2 to fix: printlog 1, healthroute 1",
		"error paths (errors, validation, retries, timeouts)  3 to fix: errtext 1, errcheck 1, srvtimeout 1",
		"data durability (state)                              1 to fix: inplace 1",
		"security (secrets, body limits)                      2 to fix: secrets 1, bodylimit 1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestClean(t *testing.T) {
	code, out, stderr := runIn(t, "clean", "./...")
	if code != exitClean {
		t.Fatalf("exit = %d, want %d; stdout: %s stderr: %s", code, exitClean, out, stderr)
	}
	if !strings.HasPrefix(out, "\nReadiness: 0 finding(s)") || strings.Contains(out, "to fix") {
		t.Errorf("output:\n%s", out)
	}
}

func TestLoadErrorIsNotAFinding(t *testing.T) {
	code, out, stderr := runIn(t, "broken")
	if code != exitError {
		t.Fatalf("exit = %d, want %d", code, exitError)
	}
	if out != "" || !strings.Contains(stderr, "broken.go:3") {
		t.Errorf("stdout %q, stderr %q: want no findings and the error's position", out, stderr)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"-json", "-sarif"}} {
		if code, _, _ := runIn(t, "clean", args...); code != exitUsage {
			t.Errorf("%q: exit = %d, want %d", args, code, exitUsage)
		}
		t.Chdir("../..")
	}
}

func TestJSON(t *testing.T) {
	code, out, _ := runIn(t, "prototype", "-json")
	if code != exitFindings {
		t.Fatalf("exit = %d", code)
	}
	var got []finding
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got) != len(prototypeFindings) {
		t.Fatalf("%d findings, want %d", len(got), len(prototypeFindings))
	}
	if f := got[0]; f.Analyzer != "secrets" || f.File != "main.go" || f.Line != 11 || f.Group != "security (secrets, body limits)" {
		t.Errorf("first finding = %+v", f)
	}
}

func TestSARIF(t *testing.T) {
	code, out, _ := runIn(t, "prototype", "-sarif")
	if code != exitFindings {
		t.Fatalf("exit = %d", code)
	}
	r, err := sarif.FromString(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("invalid SARIF 2.1.0: %v", err)
	}
	if n := len(r.Runs[0].Results); n != len(prototypeFindings) {
		t.Errorf("%d results, want %d", n, len(prototypeFindings))
	}
	if n := len(r.Runs[0].Tool.Driver.Rules); n != 10 {
		t.Errorf("%d rules, want 10", n)
	}
}

// TestVetTool runs hardenvet as go vet's -vettool, as a CI would.
func TestVetTool(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hardenvet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command("go", "vet", "-vettool="+bin, "./...")
	cmd.Dir = filepath.Join("testdata", "prototype")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("go vet passed on the prototype:\n%s", out)
	}
	for _, want := range []string{"errtext: error text sent to the client", "inplace: file written in place"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("go vet output lacks %q:\n%s", want, out)
		}
	}
	cmd = exec.Command("go", "vet", "-vettool="+bin, "./...")
	cmd.Dir = filepath.Join("testdata", "clean")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go vet on clean code: %v\n%s", err, out)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
