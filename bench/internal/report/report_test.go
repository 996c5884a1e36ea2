package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `date: 2026-01-02T03:04:05Z
machine-cores: 2
goos: linux
goarch: amd64
pkg: github.com/hardenkit/harden/bench/logx
cpu: Test CPU
BenchmarkLine/harden-2    	  180922	      1100 ns/op	      48 B/op	       1 allocs/op
BenchmarkLine/zap-2       	  246116	       900.5 ns/op	     432 B/op	       3 allocs/op
some log line from a benchmark
BenchmarkLine/harden-2    	  180922	      1300 ns/op	      48 B/op	       1 allocs/op
BenchmarkLine/zap-2       	  246116	       1000 ns/op	     432 B/op	       3 allocs/op
BenchmarkLine/harden-2    	  180922	      1200 ns/op	      48 B/op	       1 allocs/op
BenchmarkLine/zap-2       	  246116	       800 ns/op	     432 B/op	       3 allocs/op
PASS
ok  	github.com/hardenkit/harden/bench/logx	3.094s
pkg: github.com/hardenkit/harden/bench/aaa
BenchmarkSave4KiB/by-hand-2 	100	2000000 ns/op	2.01 MB/s	800 B/op	12 allocs/op
BenchmarkSave4KiB/harden-2 	100	3000000 ns/op	1.60 MB/s	5894 B/op	15 allocs/op
BenchmarkSave4KiB/harden-2 	100	3000000 ns/op	1.60 MB/s	5894 B/op	15 allocs/op
BenchmarkNested/deep/harden	10	5 ns/op
load-after: 1.5 1.2 1.0
`

func TestParse(t *testing.T) {
	run, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(run.Results); got != 10 {
		t.Fatalf("%d results, want 10", got)
	}
	for _, tc := range []struct {
		i                      int
		area, table, contender string
		iters                  int64
		unit                   string
		value                  float64
	}{
		{0, "logx", "Line", "harden", 180922, "ns/op", 1100},
		{1, "logx", "Line", "zap", 246116, "ns/op", 900.5},
		{1, "logx", "Line", "zap", 246116, "B/op", 432},
		{6, "aaa", "Save4KiB", "by-hand", 100, "MB/s", 2.01},
		{6, "aaa", "Save4KiB", "by-hand", 100, "allocs/op", 12},
		{9, "aaa", "Nested/deep", "harden", 10, "ns/op", 5}, // no -N suffix: GOMAXPROCS=1
	} {
		r := run.Results[tc.i]
		if r.Area != tc.area || r.Table != tc.table || r.Contender != tc.contender || r.Iterations != tc.iters || r.Values[tc.unit] != tc.value {
			t.Errorf("result %d = %+v, want %s/%s/%s %d %v %s", tc.i, r, tc.area, tc.table, tc.contender, tc.iters, tc.value, tc.unit)
		}
	}
	for k, want := range map[string]string{
		"date": "2026-01-02T03:04:05Z", "machine-cores": "2", "cpu": "Test CPU",
		"pkg": "github.com/hardenkit/harden/bench/aaa", "load-after": "1.5 1.2 1.0",
	} {
		if got := run.Config[k]; got != want {
			t.Errorf("config %s = %q, want %q", k, got, want)
		}
	}
	if run.Keys[0] != "date" || run.Keys[len(run.Keys)-1] != "load-after" {
		t.Errorf("keys in order %v", run.Keys)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"BenchmarkX-2 10 12 ns/op 5\n", "line 1: value without a unit"},
		{"pkg: p\n\nBenchmarkX-2 10 1x2 ns/op\n", `line 3: value "1x2"`},
	} {
		_, err := Parse(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "report: ") {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
	// A benchmark's log line that only starts like a result is skipped.
	run, err := Parse(strings.NewReader("BenchmarkX-2\nBenchmarkX says hello\n"))
	if err != nil || len(run.Results) != 0 {
		t.Errorf("got %v, %v; want no results and no error", run, err)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{1, 1, 100, 1, 1, 1}, 1},
		{[]float64{10, 20}, 15},
	} {
		in := append([]float64(nil), tc.in...)
		if got := Median(in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.in[i] {
				t.Fatalf("Median changed its input: %v", in)
			}
		}
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

func TestRatioAndJudge(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		ref, other, want float64
		verdict          Verdict
	}{
		{200, 100, 2, Behind},
		{100, 200, 0.5, Ahead},
		{105, 100, 1.05, OnPar},
		{110, 100, 1.1, Behind},
		{100, 110, 100.0 / 110, Ahead},
		{100, 109, 100.0 / 109, OnPar},
		{100, 0, nan, OnPar},
		{nan, 100, nan, OnPar},
		{100, nan, nan, OnPar},
	} {
		got := Ratio(tc.ref, tc.other)
		if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("Ratio(%v, %v) = %v, want %v", tc.ref, tc.other, got, tc.want)
		}
		if v := Judge(got); v != tc.verdict {
			t.Errorf("Judge(%v) = %v, want %v", got, v, tc.verdict)
		}
	}
}

func TestSummarize(t *testing.T) {
	run, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	tables := Summarize(run, []string{"logx"})
	var names []string
	for _, tb := range tables {
		names = append(names, tb.Area+"/"+tb.Name)
	}
	if got := strings.Join(names, " "); got != "logx/Line aaa/Save4KiB aaa/Nested/deep" {
		t.Fatalf("tables %s", got)
	}
	line := tables[0]
	if len(line.Rows) != 2 || line.Rows[0].Contender != "harden" || line.Rows[1].Contender != "zap" {
		t.Fatalf("rows %+v", line.Rows)
	}
	h, z := line.Rows[0], line.Rows[1]
	if st := h.Stats["ns/op"]; st.Median != 1200 || st.N != 3 || math.Abs(st.Spread-100.0/1200) > 1e-12 {
		t.Errorf("harden ns/op %+v, want median 1200 of 3, spread 1/12", st)
	}
	if z.Stats["ns/op"].Median != 900.5 || z.Stats["allocs/op"].Median != 3 {
		t.Errorf("zap stats %+v", z.Stats)
	}
	if !math.IsNaN(h.Ratio) || math.Abs(z.Ratio-1200/900.5) > 1e-12 {
		t.Errorf("ratios %v, %v; want NaN, %v", h.Ratio, z.Ratio, 1200/900.5)
	}
	save := tables[1]
	if save.Rows[0].Contender != "by-hand" || save.Rows[0].Ratio != 1.5 {
		t.Errorf("Save4KiB rows %+v", save.Rows)
	}
	// A table without the reference has no ratios.
	if r := tables[2].Rows[0]; !math.IsNaN(r.Ratio) {
		t.Errorf("Nested ratio %v", r.Ratio)
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{FormatNs(3.119), "3.12"},
		{FormatNs(45.64), "45.6"},
		{FormatNs(1234.4), "1,234"},
		{FormatNs(2536089), "2,536,089"},
		{FormatNs(math.NaN()), "—"},
		{FormatInt(Stat{Median: 5894, N: 3}), "5,894"},
		{FormatInt(Stat{}), "—"},
		{FormatSpread(Stat{Median: 10, Spread: 0.046, N: 6}), "±5%"},
		{FormatSpread(Stat{Median: 10, N: 1}), "—"},
		{FormatRatio(1.234), "1.23×"},
		{FormatRatio(12.34), "12.3×"},
		{FormatRatio(math.NaN()), "—"},
		{thousands(-1234567), "-1,234,567"},
		{thousands(999), "999"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestDocs(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "logx"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := `package x

import "testing"

// BenchmarkLine measures one line
// of a request.
func BenchmarkLine(b *testing.B) {}

// helper is not a benchmark.
func helper() {}

func BenchmarkUndocumented(b *testing.B) {}
`
	if err := os.WriteFile(filepath.Join(dir, "logx", "x_test.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	docs, err := Docs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs["logx/Line"] != "Measures one line of a request." {
		t.Errorf("docs %q", docs)
	}
}

func TestRender(t *testing.T) {
	run, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	run.Config["note"] = "taken on a loaded machine"
	var b strings.Builder
	err = Render(&b, Page{
		Run: run, Tables: Summarize(run, []string{"logx"}),
		Docs: map[string]string{"logx/Line": "Measures one line."},
		Why:  map[string]string{"logx": "Because of reasons."},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"> **Note:** taken on a loaded machine",
		"| Date | 2026-01-02T03:04:05Z |",
		"| Cores | 2 |",
		"| Load average after the run | 1.5 1.2 1.0 |",
		"## logx\n\n### Line\n\nMeasures one line.\n\n| contender |",
		"| **harden** | 1,200 | ±8% | 48 | 1 | — |",
		"| zap | 901 | ±11% | 432 | 3 | 1.33× |",
		"- Line: slower than zap (1.33×).\n\nBecause of reasons.",
		"## aaa",
		"| by-hand | 2,000,000 | — | 800 | 12 | 1.50× |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "| pkg |") || strings.Count(out, "| note |") != 0 {
		t.Errorf("pkg or note in the machine table:\n%s", out)
	}
	if strings.Index(out, "## logx") > strings.Index(out, "## aaa") {
		t.Errorf("areas out of order")
	}
}
