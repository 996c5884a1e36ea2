package audit

import (
	"go/ast"

	"golang.org/x/tools/go/analysis"
)

// ClientTimeout finds outbound HTTP calls with no timeout or no context:
// http.Get, http.Head, http.Post and http.PostForm and any use of
// http.DefaultClient (no timeout), an http.Client literal without Timeout,
// and http.NewRequest (no context). One hung upstream then hangs every
// request that waits on it.
var ClientTimeout = &analysis.Analyzer{
	Name: "clienttimeout",
	Doc:  "find outbound HTTP calls with no timeout or no context; fix: a client with Timeout and retry.Transport",
	Run:  runClientTimeout,
}

func runClientTimeout(pass *analysis.Pass) (any, error) {
	const fix = "use an http.Client with a Timeout and retry.Transport"
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				switch {
				case calleeIs(pass.TypesInfo, n, "net/http", "Get", "Head", "Post", "PostForm"):
					pass.Reportf(n.Pos(), "clienttimeout: http.DefaultClient has no timeout; %s", fix)
				case calleeIs(pass.TypesInfo, n, "net/http", "NewRequest"):
					pass.Reportf(n.Pos(), "clienttimeout: request without a context; use http.NewRequestWithContext and %s", fix)
				}
			case *ast.SelectorExpr:
				if obj := pass.TypesInfo.Uses[n.Sel]; obj != nil && obj.Pkg() != nil &&
					obj.Pkg().Path() == "net/http" && obj.Name() == "DefaultClient" {
					pass.Reportf(n.Pos(), "clienttimeout: http.DefaultClient has no timeout; %s", fix)
				}
			case *ast.CompositeLit:
				if isNamed(pass.TypesInfo.TypeOf(n), "net/http", "Client") && !hasField(n, "Timeout") {
					pass.Reportf(n.Pos(), "clienttimeout: http.Client without Timeout; %s", fix)
				}
			}
			return true
		})
	}
	return nil, nil
}
