package audit

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// BodyLimit finds a request body decoded or read with no size limit: a
// json.NewDecoder(r.Body), io.ReadAll(r.Body) or io.Copy from r.Body in a
// function that never wraps r.Body in http.MaxBytesReader. One large body is
// enough to exhaust a server's memory.
var BodyLimit = &analysis.Analyzer{
	Name: "bodylimit",
	Doc:  "find request bodies read with no size limit; fix: validate.DecodeJSON",
	Run:  runBodyLimit,
}

func runBodyLimit(pass *analysis.Pass) (any, error) {
	funcBodies(pass, func(_ *ast.File, body *ast.BlockStmt) {
		limited := make(map[types.Object]bool) // requests whose Body is wrapped
		var reads []*ast.CallExpr
		var readOf []types.Object
		shallow(body, func(n ast.Node) {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return
			}
			if calleeIs(pass.TypesInfo, call, "net/http", "MaxBytesReader") && len(call.Args) == 3 {
				if req := requestOfBody(pass.TypesInfo, call.Args[1]); req != nil {
					limited[req] = true
				}
				return
			}
			var src ast.Expr
			switch {
			case calleeIs(pass.TypesInfo, call, "encoding/json", "NewDecoder") && len(call.Args) == 1:
				src = call.Args[0]
			case calleeIs(pass.TypesInfo, call, "io", "ReadAll") && len(call.Args) == 1:
				src = call.Args[0]
			case calleeIs(pass.TypesInfo, call, "io", "Copy") && len(call.Args) == 2:
				src = call.Args[1]
			default:
				return
			}
			if req := requestOfBody(pass.TypesInfo, src); req != nil {
				reads = append(reads, call)
				readOf = append(readOf, req)
			}
		})
		for i, call := range reads {
			if !limited[readOf[i]] {
				pass.Reportf(call.Pos(), "bodylimit: request body read with no size limit; decode it with validate.DecodeJSON (or wrap r.Body in http.MaxBytesReader)")
			}
		}
	})
	return nil, nil
}

// requestOfBody returns the variable r when e is r.Body for an *http.Request r.
func requestOfBody(info *types.Info, e ast.Expr) types.Object {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Body" {
		return nil
	}
	id, ok := ast.Unparen(sel.X).(*ast.Ident)
	if !ok || !isNamed(info.TypeOf(id), "net/http", "Request") {
		return nil
	}
	return info.Uses[id]
}
