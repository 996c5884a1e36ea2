// Package report reads the output of go test -bench for the harden bench
// module and writes BENCHMARKS.md: per area a table per benchmark, with the
// median ns/op, B/op and allocs/op of each contender and the ratio of
// harden's median time to each other contender's.
//
// # Names
//
// A benchmark line's area is the last element of its package path (the
// "pkg:" line before it), its table is the benchmark's name without the
// "Benchmark" prefix and without its last "/" element, and that last
// element is the contender: BenchmarkLine/zap-2 in package .../bench/logx
// is contender "zap" of table "Line" of area "logx". The "-2" that go test
// appends for GOMAXPROCS is dropped. The contender named "harden" is the
// one the others are compared with.
//
// # Configuration lines
//
// Lines of the form "key: value", where key starts with a lower-case letter
// and holds no space (the Go benchmark data format's configuration lines),
// are kept as the run's configuration; the last value of a key wins, except
// for "pkg", which names the package of the benchmark lines after it.
package report

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Result is one benchmark line.
type Result struct {
	// Area, Table and Contender are derived from the name and package as
	// the package documentation says.
	Area, Table, Contender string
	// Iterations is the b.N of the line.
	Iterations int64
	// Values holds the measurements by unit: "ns/op", "B/op",
	// "allocs/op", "MB/s" and any custom metric.
	Values map[string]float64
}

// Run is a parsed benchmark output.
type Run struct {
	// Config holds the configuration lines, last value of each key.
	Config map[string]string
	// Keys lists the configuration keys in the order they first appeared.
	Keys []string
	// Results holds the benchmark lines in order.
	Results []Result
}

var (
	configLine = regexp.MustCompile(`^([a-z][^\s:]*):\s*(.*?)\s*$`)
	procSuffix = regexp.MustCompile(`-\d+$`)
)

// Parse reads go test -bench output. Lines that are neither benchmark
// results nor configuration (PASS, ok, test logs) are ignored. A line that
// starts like a benchmark result but cannot be read is an error naming
// its line number.
func Parse(r io.Reader) (*Run, error) {
	run := &Run{Config: map[string]string{}}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := configLine.FindStringSubmatch(line); m != nil {
			if m[1] == "pkg" {
				pkg = m[2]
			}
			if _, seen := run.Config[m[1]]; !seen {
				run.Keys = append(run.Keys, m[1])
			}
			run.Config[m[1]] = m[2]
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue // a benchmark's own log line, or a name with no result yet
		}
		iters, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue // "BenchmarkX ... some log text": not a result line
		}
		if len(fields)%2 != 0 {
			return nil, fmt.Errorf("report: line %d: value without a unit: %q", n, line)
		}
		res := Result{Iterations: iters, Values: map[string]float64{}}
		for i := 2; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("report: line %d: value %q: %w", n, fields[i], err)
			}
			res.Values[fields[i+1]] = v
		}
		res.Area = pkg[strings.LastIndexByte(pkg, '/')+1:]
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(fields[0], "Benchmark"), "")
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			res.Table, res.Contender = name[:i], name[i+1:]
		} else {
			res.Table = name
		}
		run.Results = append(run.Results, res)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("report: reading: %w", err)
	}
	return run, nil
}
