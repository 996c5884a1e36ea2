package audit

import (
	"go/token"
	"strings"

	"golang.org/x/tools/go/analysis"
)

const ignorePrefix = "//hardenvet:ignore"

// wrap returns a copy of a that drops findings in _test.go files (tests do
// not ship) and findings silenced by a comment
//
//	//hardenvet:ignore <analyzer> <reason>
//
// at the end of the finding's line or on a line of its own just above it. The reason is required: a
// comment without one silences nothing and is itself reported, so every
// exception in a code base says why it is one.
func wrap(a *analysis.Analyzer) *analysis.Analyzer {
	b := *a
	b.Run = func(pass *analysis.Pass) (any, error) {
		ignored := make(map[token.Position]bool) // file and line; Column unused
		for _, f := range pass.Files {
			for _, cg := range f.Comments {
				for _, c := range cg.List {
					rest, ok := strings.CutPrefix(c.Text, ignorePrefix)
					if !ok {
						continue
					}
					rest, _, _ = strings.Cut(rest, "//") // a second comment on the line is not the reason
					fields := strings.Fields(rest)
					if len(fields) == 0 || fields[0] != a.Name {
						continue
					}
					if len(fields) < 2 {
						pass.Reportf(c.Pos(), "%s: this hardenvet:ignore needs a reason after the analyzer name", a.Name)
						continue
					}
					p := pass.Fset.Position(c.Pos())
					line := p.Line
					if aloneOnLine(pass, c.Pos()) {
						line++ // a comment on a line of its own covers the next line
					}
					ignored[token.Position{Filename: p.Filename, Line: line}] = true
				}
			}
		}
		report := pass.Report
		inner := *pass
		inner.Report = func(d analysis.Diagnostic) {
			p := pass.Fset.Position(d.Pos)
			if strings.HasSuffix(p.Filename, "_test.go") {
				return
			}
			if !ignored[token.Position{Filename: p.Filename, Line: p.Line}] {
				report(d)
			}
		}
		return a.Run(&inner)
	}
	return &b
}

// aloneOnLine reports whether only blanks precede pos on its line.
func aloneOnLine(pass *analysis.Pass, pos token.Pos) bool {
	tf := pass.Fset.File(pos)
	src, err := pass.ReadFile(tf.Name())
	if err != nil {
		return false
	}
	start := tf.Offset(tf.LineStart(tf.Line(pos)))
	return strings.TrimSpace(string(src[start:tf.Offset(pos)])) == ""
}
