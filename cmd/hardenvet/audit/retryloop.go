package audit

import (
	"go/ast"
	"go/token"

	"golang.org/x/tools/go/analysis"
)

// RetryLoop finds hand-rolled retry loops: a loop whose body checks an error
// and calls time.Sleep. Such a loop ignores the caller's context while it
// sleeps, retries errors that will fail the same way again, and usually has
// no jitter, so every client retries in step.
var RetryLoop = &analysis.Analyzer{
	Name: "retryloop",
	Doc:  "find hand-rolled retry loops with time.Sleep; fix: retry.Do",
	Run:  runRetryLoop,
}

func runRetryLoop(pass *analysis.Pass) (any, error) {
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			var body *ast.BlockStmt
			switch n := n.(type) {
			case *ast.ForStmt:
				body = n.Body
			case *ast.RangeStmt:
				body = n.Body
			default:
				return true
			}
			var sleep ast.Node
			checksErr := false
			shallow(body, func(n ast.Node) {
				switch n := n.(type) {
				case *ast.CallExpr:
					if sleep == nil && calleeIs(pass.TypesInfo, n, "time", "Sleep") {
						sleep = n
					}
				case *ast.BinaryExpr:
					if (n.Op == token.NEQ || n.Op == token.EQL) &&
						(isError(pass.TypesInfo, n.X) && isNil(pass.TypesInfo, n.Y) ||
							isError(pass.TypesInfo, n.Y) && isNil(pass.TypesInfo, n.X)) {
						checksErr = true
					}
				}
			})
			if sleep != nil && checksErr {
				pass.Reportf(sleep.Pos(), "retryloop: hand-rolled retry loop sleeps without its context; use retry.Do, which backs off with jitter and stops when the context ends")
				return false // one report for nested loops
			}
			return true
		})
	}
	return nil, nil
}
