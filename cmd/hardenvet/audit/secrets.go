package audit

import (
	"go/ast"
	"go/constant"
	"go/token"
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/tools/go/analysis"
)

// Secrets finds credentials in source: a URL literal with a password
// (scheme://user:password@host) and a non-empty string literal given to a
// name whose last word is password, passwd, secret, token or api key
// (dbPassword, apiKey, AUTH_TOKEN). Source is copied, logged and pushed to
// places a secret must never go.
var Secrets = &analysis.Analyzer{
	Name: "secrets",
	Doc:  "find credentials in source; fix: read them from the environment and log them as logx.Secret",
	Run:  runSecrets,
}

func runSecrets(pass *analysis.Pass) (any, error) {
	const fix = "read it from the environment and log it as logx.Secret"
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, ok := stringValue(pass, n); ok && urlHasPassword(s) {
					pass.Reportf(n.Pos(), "secrets: URL with a password in source; %s", fix)
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if i < len(n.Values) {
						checkSecret(pass, name.Name, n.Values[i], fix)
					}
				}
			case *ast.AssignStmt:
				if len(n.Lhs) == len(n.Rhs) {
					for i, lhs := range n.Lhs {
						checkSecret(pass, exprName(lhs), n.Rhs[i], fix)
					}
				}
			case *ast.KeyValueExpr:
				checkSecret(pass, exprName(n.Key), n.Value, fix)
			}
			return true
		})
	}
	return nil, nil
}

func checkSecret(pass *analysis.Pass, name string, value ast.Expr, fix string) {
	lit, ok := ast.Unparen(value).(*ast.BasicLit)
	if !ok || !secretName(name) {
		return
	}
	if s, ok := stringValue(pass, lit); ok && strings.TrimSpace(s) != "" {
		pass.Reportf(lit.Pos(), "secrets: %s is a credential in source; %s", name, fix)
	}
}

func stringValue(pass *analysis.Pass, lit *ast.BasicLit) (string, bool) {
	if lit.Kind != token.STRING {
		return "", false
	}
	tv, ok := pass.TypesInfo.Types[lit]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

func exprName(e ast.Expr) string {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.BasicLit: // a map key such as "password"
		return strings.Trim(e.Value, "`\"")
	}
	return ""
}

func urlHasPassword(s string) bool {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return false
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.User == nil {
		return false
	}
	p, ok := u.User.Password()
	return ok && p != ""
}

// secretName reports whether the last word of an identifier (camelCase,
// snake_case or kebab-case) names a credential.
func secretName(name string) bool {
	words := splitWords(name)
	if len(words) == 0 {
		return false
	}
	switch last := words[len(words)-1]; last {
	case "password", "passwd", "pwd", "secret", "token", "apikey":
		return true
	case "key":
		return len(words) > 1 && words[len(words)-2] == "api"
	}
	return false
}

func splitWords(name string) []string {
	var words []string
	var cur []rune
	runes := []rune(name)
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for i, r := range runes {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(runes[i-1]) ||
			i+1 < len(runes) && unicode.IsLower(runes[i+1]) && unicode.IsUpper(runes[i-1])):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}
