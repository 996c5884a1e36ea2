package report

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Docs returns the doc comments of the benchmark functions in the test
// files of each area directory directly under dir, keyed "area/Table"
// (BenchmarkLine in dir/logx is "logx/Line"), each as one paragraph.
// A comment that starts with the function's name has it cut, so
// "BenchmarkLine measures one line" becomes "Measures one line".
func Docs(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*_test.go"))
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	docs := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		area := filepath.Base(filepath.Dir(name))
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Doc == nil || !strings.HasPrefix(fn.Name.Name, "Benchmark") {
				continue
			}
			docs[area+"/"+strings.TrimPrefix(fn.Name.Name, "Benchmark")] = paragraph(fn.Name.Name, fn.Doc.Text())
		}
	}
	return docs, nil
}

// paragraph joins a doc comment into one line and cuts the leading name.
func paragraph(name, text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if rest, ok := strings.CutPrefix(text, name+" "); ok && rest != "" {
		r, size := utf8.DecodeRuneInString(rest)
		text = string(unicode.ToUpper(r)) + rest[size:]
	}
	return text
}
