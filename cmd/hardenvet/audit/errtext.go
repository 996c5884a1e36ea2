package audit

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// ErrText finds error text sent to an HTTP client: http.Error(w, err.Error(),
// …), or an error written to a ResponseWriter with fmt.Fprint*, io.WriteString
// or Write. An internal error's text tells an attacker about the system and a
// client nothing it can act on.
var ErrText = &analysis.Analyzer{
	Name: "errtext",
	Doc:  "find error text sent to an HTTP client; fix: result.WriteProblem or a result.HandlerFunc",
	Run:  runErrText,
}

func runErrText(pass *analysis.Pass) (any, error) {
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var payload []ast.Expr
			switch {
			case calleeIs(pass.TypesInfo, call, "net/http", "Error") && len(call.Args) == 3:
				payload = call.Args[1:2]
			case calleeIs(pass.TypesInfo, call, "fmt", "Fprint", "Fprintf", "Fprintln") && len(call.Args) > 1 && isResponseWriter(pass, call.Args[0]):
				payload = call.Args[1:]
			case calleeIs(pass.TypesInfo, call, "io", "WriteString") && len(call.Args) == 2 && isResponseWriter(pass, call.Args[0]):
				payload = call.Args[1:]
			case isWriteOnResponseWriter(pass, call):
				payload = call.Args
			}
			for _, e := range payload {
				if carriesError(pass.TypesInfo, e) {
					pass.Reportf(call.Pos(), "errtext: error text sent to the client; write a problem with result.WriteProblem, or return the error from a result.HandlerFunc")
					break
				}
			}
			return true
		})
	}
	return nil, nil
}

func isResponseWriter(pass *analysis.Pass, e ast.Expr) bool {
	t := pass.TypesInfo.TypeOf(e)
	return t != nil && isNamed(t, "net/http", "ResponseWriter")
}

// isWriteOnResponseWriter matches w.Write(…) where w is an http.ResponseWriter.
func isWriteOnResponseWriter(pass *analysis.Pass, call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Write" && isResponseWriter(pass, sel.X)
}

// carriesError reports whether e is an error, or an expression built from one:
// err.Error(), []byte(err.Error()), fmt.Sprint(err), "x: "+err.Error().
func carriesError(info *types.Info, e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Error" && len(n.Args) == 0 && isError(info, sel.X) {
				found = true
			}
		case ast.Expr:
			if isError(info, n) && !isNil(info, n) {
				found = true
			}
		}
		return !found
	})
	return found
}

func isNil(info *types.Info, e ast.Expr) bool {
	tv, ok := info.Types[e]
	return ok && tv.IsNil()
}
