package audit

import (
	"go/ast"

	"golang.org/x/tools/go/analysis"
)

// InPlace finds state written in place: os.WriteFile, or os.Create followed
// by writes, in a function that never renames the file into place. A crash or
// a full disk in the middle leaves a torn file, and the next run starts from
// garbage or from nothing.
var InPlace = &analysis.Analyzer{
	Name: "inplace",
	Doc:  "find files written in place with no rename; fix: statefile",
	Run:  runInPlace,
}

func runInPlace(pass *analysis.Pass) (any, error) {
	funcBodies(pass, func(_ *ast.File, body *ast.BlockStmt) {
		var writes []*ast.CallExpr
		renamed := false
		shallow(body, func(n ast.Node) {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return
			}
			switch {
			case calleeIs(pass.TypesInfo, call, "os", "WriteFile", "Create"):
				writes = append(writes, call)
			case calleeIs(pass.TypesInfo, call, "os", "Rename"):
				renamed = true
			}
		})
		if renamed {
			return
		}
		for _, call := range writes {
			pass.Reportf(call.Pos(), "inplace: file written in place, so a crash leaves it torn; keep state with statefile (or write a temporary file, fsync it and rename it over the old one)")
		}
	})
	return nil, nil
}
