package audit

import (
	"go/ast"
	"go/token"

	"github.com/kisielk/errcheck/errcheck"
	"golang.org/x/tools/go/analysis"
)

// ErrCheck runs errcheck's analyzer (github.com/kisielk/errcheck) and says
// what to do about each unchecked error: an error a prototype drops is the
// failure nobody sees. To errcheck's own exclusions it adds two idioms whose
// errors have nowhere better to go: fmt.Fprint* (as errcheck already excludes
// fmt.Print*), and a deferred Close of anything but an *os.File (a response
// body, a reader). A deferred Close of a file is still reported: it loses the
// error of a write that only Close reveals.
var ErrCheck = &analysis.Analyzer{
	Name:       "errcheck",
	Doc:        "find unchecked errors (kisielk/errcheck); fix: handle them, or return them wrapped or as a result.Error",
	Run:        runErrCheck,
	ResultType: errcheck.Analyzer.ResultType,
}

func runErrCheck(pass *analysis.Pass) (any, error) {
	var idioms []ast.Node // calls whose unchecked error is not reported
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if calleeIs(pass.TypesInfo, n, "fmt", "Fprint", "Fprintf", "Fprintln") {
					idioms = append(idioms, n)
				}
			case *ast.DeferStmt:
				if sel, ok := n.Call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Close" &&
					!isNamed(pass.TypesInfo.TypeOf(sel.X), "os", "File") {
					idioms = append(idioms, n)
				}
			}
			return true
		})
	}
	within := func(pos token.Pos) bool {
		for _, n := range idioms {
			if n.Pos() <= pos && pos < n.End() {
				return true
			}
		}
		return false
	}
	inner := *pass
	inner.Report = func(d analysis.Diagnostic) {
		if within(d.Pos) {
			return
		}
		d.Message = "errcheck: " + d.Message + "; handle it, or return it (wrapped with %w or as a result.Error)"
		pass.Report(d)
	}
	return errcheck.Analyzer.Run(&inner)
}
