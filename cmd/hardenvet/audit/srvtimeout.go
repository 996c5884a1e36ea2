package audit

import (
	"go/ast"

	"golang.org/x/tools/go/analysis"
)

// ServerTimeout finds HTTP servers without timeouts: http.ListenAndServe,
// http.ListenAndServeTLS and http.Serve, which use a Server with none, and
// an http.Server literal that sets no ReadHeaderTimeout (nor ReadTimeout).
// Such a server holds a connection open for as long as a slow client likes.
var ServerTimeout = &analysis.Analyzer{
	Name: "srvtimeout",
	Doc:  "find HTTP servers without timeouts; fix: set ReadHeaderTimeout and serve with health.Serve",
	Run:  runServerTimeout,
}

func runServerTimeout(pass *analysis.Pass) (any, error) {
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if calleeIs(pass.TypesInfo, n, "net/http", "ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS") {
					pass.Reportf(n.Pos(), "srvtimeout: HTTP server without timeouts; use an http.Server with ReadHeaderTimeout and serve it with health.Serve")
				}
			case *ast.CompositeLit:
				if isNamed(pass.TypesInfo.TypeOf(n), "net/http", "Server") && !hasField(n, "ReadHeaderTimeout", "ReadTimeout") {
					pass.Reportf(n.Pos(), "srvtimeout: http.Server without ReadHeaderTimeout; set it (and ReadTimeout, IdleTimeout) and serve with health.Serve")
				}
			}
			return true
		})
	}
	return nil, nil
}

// hasField reports whether the composite literal sets one of the named fields.
func hasField(lit *ast.CompositeLit, names ...string) bool {
	for _, e := range lit.Elts {
		kv, ok := e.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if id, ok := kv.Key.(*ast.Ident); ok {
			for _, name := range names {
				if id.Name == name {
					return true
				}
			}
		}
	}
	return false
}
