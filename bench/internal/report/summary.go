package report

import (
	"math"
	"slices"
)

// Reference is the contender every other one is compared with.
const Reference = "harden"

// Units are the measurements the tables show, in order.
var Units = []string{"ns/op", "B/op", "allocs/op"}

// Stat summarizes the samples of one measurement.
type Stat struct {
	Median float64
	// Spread is the largest distance of a sample from the median, as a
	// fraction of the median (0.05 for ±5%); 0 for a zero median.
	Spread float64
	N      int
}

// Row is one contender of one table.
type Row struct {
	Contender string
	Stats     map[string]Stat // by unit
	// Ratio is the reference's median ns/op divided by this row's: above
	// 1 the reference is slower. It is NaN for the reference itself and
	// when either median is missing or zero.
	Ratio float64
}

// Table is one benchmark: its contenders in the order they first ran.
type Table struct {
	Area, Name string
	Rows       []Row
}

// Verdict is how the reference compares with a contender.
type Verdict int

const (
	OnPar  Verdict = iota // within Tolerance either way
	Behind                // the reference is slower by more than Tolerance
	Ahead                 // the reference is faster by more than Tolerance
)

// Tolerance is the relative difference of medians under which two
// contenders are called on par: 10%.
const Tolerance = 0.10

// Judge returns the verdict for a ratio of the reference's time to a
// contender's. NaN is OnPar.
func Judge(ratio float64) Verdict {
	switch {
	case ratio >= 1+Tolerance:
		return Behind
	case ratio <= 1/(1+Tolerance):
		return Ahead
	}
	return OnPar
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// summarize returns the Stat of xs.
func summarize(xs []float64) Stat {
	st := Stat{Median: Median(xs), N: len(xs)}
	if st.Median != 0 && !math.IsNaN(st.Median) {
		for _, x := range xs {
			st.Spread = max(st.Spread, math.Abs(x-st.Median)/st.Median)
		}
	}
	return st
}

// Ratio returns ref/other, or NaN when either is NaN or other is zero.
func Ratio(ref, other float64) float64 {
	if math.IsNaN(ref) || math.IsNaN(other) || other == 0 {
		return math.NaN()
	}
	return ref / other
}

// Summarize groups the results into tables, in the order their areas
// appear in order (areas named there first, in that order, then the others
// as they first appear) and their tables and contenders first ran.
func Summarize(run *Run, order []string) []Table {
	type key struct{ area, table string }
	var keys []key
	samples := map[key]map[string]map[string][]float64{} // table → contender → unit → values
	contenders := map[key][]string{}
	for _, r := range run.Results {
		k := key{r.Area, r.Table}
		if samples[k] == nil {
			samples[k] = map[string]map[string][]float64{}
			keys = append(keys, k)
		}
		if samples[k][r.Contender] == nil {
			samples[k][r.Contender] = map[string][]float64{}
			contenders[k] = append(contenders[k], r.Contender)
		}
		for unit, v := range r.Values {
			samples[k][r.Contender][unit] = append(samples[k][r.Contender][unit], v)
		}
	}
	rank := func(area string) int {
		if i := slices.Index(order, area); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(keys, func(a, b key) int { return rank(a.area) - rank(b.area) })

	tables := make([]Table, 0, len(keys))
	for _, k := range keys {
		t := Table{Area: k.area, Name: k.table}
		for _, c := range contenders[k] {
			row := Row{Contender: c, Stats: map[string]Stat{}}
			for unit, xs := range samples[k][c] {
				row.Stats[unit] = summarize(xs)
			}
			t.Rows = append(t.Rows, row)
		}
		ref := math.NaN()
		for _, row := range t.Rows {
			if row.Contender == Reference {
				ref = median(row, "ns/op")
			}
		}
		for i := range t.Rows {
			t.Rows[i].Ratio = math.NaN()
			if t.Rows[i].Contender != Reference {
				t.Rows[i].Ratio = Ratio(ref, median(t.Rows[i], "ns/op"))
			}
		}
		tables = append(tables, t)
	}
	return tables
}

func median(r Row, unit string) float64 {
	if st, ok := r.Stats[unit]; ok {
		return st.Median
	}
	return math.NaN()
}
