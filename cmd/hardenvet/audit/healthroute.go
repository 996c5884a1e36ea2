package audit

import (
	"go/ast"
	"go/token"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// HealthRoute finds a main package that serves HTTP but has no liveness or
// readiness route: no route string naming livez, readyz, healthz, health,
// ready or live, and no use of harden's health package. An orchestrator
// then cannot tell a hung process from a busy one, nor hold traffic back
// while it starts or drains.
var HealthRoute = &analysis.Analyzer{
	Name: "healthroute",
	Doc:  "find a main package serving HTTP with no liveness or readiness route; fix: health",
	Run:  runHealthRoute,
}

const healthPkg = "github.com/hardenkit/harden/health"

func runHealthRoute(pass *analysis.Pass) (any, error) {
	if pass.Pkg.Name() != "main" {
		return nil, nil
	}
	for _, imp := range pass.Pkg.Imports() {
		if imp.Path() == healthPkg {
			return nil, nil
		}
	}
	var serve []*ast.CallExpr
	for _, f := range pass.Files {
		if isTestFile(pass, f) {
			continue
		}
		hasRoute := false
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == token.STRING && isHealthRoute(n.Value) {
					hasRoute = true
				}
			case *ast.CallExpr:
				if calleeIs(pass.TypesInfo, n, "net/http", "ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS",
					"Server.ListenAndServe", "Server.ListenAndServeTLS", "Server.Serve", "Server.ServeTLS") {
					serve = append(serve, n)
				}
			}
			return true
		})
		if hasRoute {
			return nil, nil
		}
	}
	for _, call := range serve {
		pass.Reportf(call.Pos(), "healthroute: main serves HTTP with no liveness or readiness route; mount a health.Checker's /livez and /readyz (or serve with health.Serve)")
	}
	return nil, nil
}

func isHealthRoute(lit string) bool {
	s := strings.ToLower(strings.Trim(lit, "`\""))
	if i := strings.IndexByte(s, ' '); i >= 0 { // "GET /healthz"
		s = s[i+1:]
	}
	for _, seg := range strings.Split(s, "/") {
		switch seg {
		case "livez", "readyz", "healthz", "startupz", "health", "ready", "live", "liveness", "readiness":
			return true
		}
	}
	return false
}
