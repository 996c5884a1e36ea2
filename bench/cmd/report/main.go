// Command report writes BENCHMARKS.md from the raw output of the bench
// module's benchmarks; bench/run calls it after a run.
//
//	go run ./cmd/report -raw results/raw.txt -out BENCHMARKS.md
//
// It reads each area's benchmark descriptions from the doc comments of the
// Benchmark functions under -src, and its "where harden is behind, and why"
// text from -src/<area>/why.md.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hardenkit/harden/bench/internal/report"
)

// areaOrder is the order of the areas in BENCHMARKS.md.
var areaOrder = []string{"logx", "retry", "validate", "health", "statefile", "result"}

func main() {
	raw := flag.String("raw", "results/raw.txt", "go test -bench output to read")
	out := flag.String("out", "BENCHMARKS.md", "Markdown file to write")
	src := flag.String("src", ".", "bench module directory, for benchmark docs and why.md files")
	flag.Parse()
	if err := run(*raw, *out, *src); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(raw, out, src string) error {
	f, err := os.Open(raw)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	r, err := report.Parse(f)
	if err != nil {
		return err
	}
	if len(r.Results) == 0 {
		return fmt.Errorf("report: %s holds no benchmark results", raw)
	}
	docs, err := report.Docs(src)
	if err != nil {
		return err
	}
	tables := report.Summarize(r, areaOrder)
	why := map[string]string{}
	for _, t := range tables {
		if _, done := why[t.Area]; done {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, t.Area, "why.md"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("report: %w", err)
		}
		why[t.Area] = string(b)
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, report.Page{Run: r, Tables: tables, Docs: docs, Why: why}); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
