package audit

import (
	"github.com/kisielk/errcheck/errcheck"
	"golang.org/x/tools/go/analysis"
)

// ErrCheck runs errcheck's analyzer (github.com/kisielk/errcheck) with its
// defaults and says what to do about each unchecked error: an error a
// prototype drops is the failure nobody sees.
var ErrCheck = &analysis.Analyzer{
	Name:       "errcheck",
	Doc:        "find unchecked errors (kisielk/errcheck); fix: handle them, or return them wrapped or as a result.Error",
	Run:        runErrCheck,
	ResultType: errcheck.Analyzer.ResultType,
}

func runErrCheck(pass *analysis.Pass) (any, error) {
	inner := *pass
	inner.Report = func(d analysis.Diagnostic) {
		d.Message = "errcheck: " + d.Message + "; handle it, or return it (wrapped with %w or as a result.Error)"
		pass.Report(d)
	}
	return errcheck.Analyzer.Run(&inner)
}
