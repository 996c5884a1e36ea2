package audit

import (
	"go/ast"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

// A Group is a part of the readiness summary: the audit step's headings.
type Group string

// The groups of the readiness summary, in the order it prints them.
const (
	Operations Group = "operational surface (logging, health)"
	ErrorPaths Group = "error paths (errors, validation, retries, timeouts)"
	Durability Group = "data durability (state)"
	Security   Group = "security (secrets, body limits)"
)

// Groups lists the summary's groups in order.
var Groups = []Group{Operations, ErrorPaths, Durability, Security}

// Analyzers returns every hardenvet analyzer as the command runs it: test
// files are not audited (they do not ship), and a //hardenvet:ignore comment
// with a reason silences one analyzer on its line.
func Analyzers() []*analysis.Analyzer {
	all := []*analysis.Analyzer{ErrText, BodyLimit, ServerTimeout, ClientTimeout,
		RetryLoop, PrintLog, InPlace, Secrets, HealthRoute, ErrCheck}
	for i, a := range all {
		all[i] = wrap(a)
	}
	return all
}

// GroupOf returns the summary group of the analyzer with this name.
func GroupOf(analyzer string) Group {
	switch analyzer {
	case PrintLog.Name, HealthRoute.Name:
		return Operations
	case InPlace.Name:
		return Durability
	case Secrets.Name, BodyLimit.Name:
		return Security
	}
	return ErrorPaths
}

// calleeIs reports whether call calls the function or method pkg.name, where
// name is "Func" for a function and "Type.Method" for a method.
func calleeIs(info *types.Info, call *ast.CallExpr, pkg string, names ...string) bool {
	fn, ok := typeutil.Callee(info, call).(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != pkg {
		return false
	}
	name := fn.Name()
	if recv := fn.Signature().Recv(); recv != nil {
		t := recv.Type()
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem()
		}
		if n, ok := t.(*types.Named); ok {
			name = n.Obj().Name() + "." + name
		}
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// isNamed reports whether t (or what it points to) is the named type pkg.name.
func isNamed(t types.Type, pkg, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkg && n.Obj().Name() == name
}

var errorType = types.Universe.Lookup("error").Type().Underlying().(*types.Interface)

// isError reports whether e's type implements error.
func isError(info *types.Info, e ast.Expr) bool {
	t := info.TypeOf(e)
	return t != nil && types.Implements(t, errorType)
}

// isTestFile reports whether the file holding n is a _test.go file.
func isTestFile(pass *analysis.Pass, n ast.Node) bool {
	return strings.HasSuffix(pass.Fset.Position(n.Pos()).Filename, "_test.go")
}

// funcBodies calls fn with every function body in the pass's files (function
// declarations and literals), each with the file it is in.
func funcBodies(pass *analysis.Pass, fn func(file *ast.File, body *ast.BlockStmt)) {
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Body != nil {
					fn(f, n.Body)
				}
			case *ast.FuncLit:
				fn(f, n.Body)
			}
			return true
		})
	}
}

// shallow walks body without entering nested function literals, which are
// bodies of their own.
func shallow(body ast.Node, fn func(n ast.Node)) {
	ast.Inspect(body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok && n != body {
			return false
		}
		if n != nil {
			fn(n)
		}
		return true
	})
}
