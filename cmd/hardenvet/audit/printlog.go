package audit

import (
	"go/ast"

	"golang.org/x/tools/go/analysis"
)

// PrintLog finds unstructured logging: log.Print* and fmt.Print* (which
// writes to stdout). Such lines carry no level, request ID or trace ID, and
// no log pipeline can parse them. The body of main in package main is
// start-up, where printing a banner or log.Fatal on a bad flag is fine.
var PrintLog = &analysis.Analyzer{
	Name: "printlog",
	Doc:  "find unstructured logging (log.Print*, fmt.Print*); fix: a logx logger",
	Run:  runPrintLog,
}

func runPrintLog(pass *analysis.Pass) (any, error) {
	var walk func(n ast.Node, startup bool)
	walk = func(n ast.Node, startup bool) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				if startup {
					walk(n.Body, false) // a handler defined in main runs later, not at start-up
					return false
				}
			case *ast.CallExpr:
				if startup {
					return true
				}
				switch {
				case calleeIs(pass.TypesInfo, n, "log", "Print", "Printf", "Println"):
					pass.Reportf(n.Pos(), "printlog: unstructured log line; log with a logx logger (log/slog) so the line has a level and carries request and trace IDs")
				case calleeIs(pass.TypesInfo, n, "fmt", "Print", "Printf", "Println"):
					pass.Reportf(n.Pos(), "printlog: fmt.Print to stdout in service code; log with a logx logger (log/slog) instead")
				}
			}
			return true
		})
	}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok && fd.Body != nil {
				walk(fd.Body, pass.Pkg.Name() == "main" && fd.Name.Name == "main" && fd.Recv == nil)
			}
		}
	}
	return nil, nil
}
