package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/hardenkit/harden/cmd/hardenvet/audit"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"
)

// A finding is one diagnostic of one analyzer.
type finding struct {
	Analyzer string `json:"analyzer"`
	Group    string `json:"group"`
	File     string `json:"file"` // relative to the working directory where it can be
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"`
}

// String formats f as go vet prints a diagnostic.
func (f finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", f.File, f.Line, f.Column, f.Message)
}

// analyze loads the packages matching patterns, without their tests (which
// do not ship), and runs every analyzer on them. A package that does not
// load or type-check is an error: its findings would be incomplete.
func analyze(patterns []string) ([]finding, error) {
	cfg := &packages.Config{Mode: packages.LoadSyntax | packages.NeedModule}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, err
	}
	var errs []error
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			errs = append(errs, e)
		}
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("loading packages: %w", errors.Join(errs...))
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no packages match %q", patterns)
	}
	graph, err := checker.Analyze(audit.Analyzers(), pkgs, nil)
	if err != nil {
		return nil, err
	}
	wd, _ := os.Getwd()
	var out []finding
	for _, act := range graph.Roots {
		if act.Err != nil {
			return nil, fmt.Errorf("%s on %s: %w", act.Analyzer.Name, act.Package.PkgPath, act.Err)
		}
		for _, d := range act.Diagnostics {
			p := act.Package.Fset.Position(d.Pos)
			file := p.Filename
			if rel, err := filepath.Rel(wd, file); err == nil && filepath.IsLocal(rel) {
				file = rel
			}
			out = append(out, finding{
				Analyzer: act.Analyzer.Name,
				Group:    string(audit.GroupOf(act.Analyzer.Name)),
				File:     filepath.ToSlash(file), Line: p.Line, Column: p.Column,
				Message: d.Message,
			})
		}
	}
	slices.SortFunc(out, func(a, b finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column), cmp.Compare(a.Analyzer, b.Analyzer))
	})
	return out, nil
}
