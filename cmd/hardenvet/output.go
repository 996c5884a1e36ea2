package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hardenkit/harden/cmd/hardenvet/audit"
	"github.com/owenrumney/go-sarif/v3/pkg/report"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// writeText prints the findings as go vet does, then the readiness summary.
func writeText(w io.Writer, findings []finding) error {
	var b strings.Builder
	for _, f := range findings {
		fmt.Fprintln(&b, f)
	}
	fmt.Fprintf(&b, "\nReadiness: %d finding(s)\n", len(findings))
	for _, g := range audit.Groups {
		counts := make(map[string]int)
		var names []string // in order of first finding
		total := 0
		for _, f := range findings {
			if f.Group == string(g) {
				if counts[f.Analyzer] == 0 {
					names = append(names, f.Analyzer)
				}
				counts[f.Analyzer]++
				total++
			}
		}
		mark := "ok"
		if total > 0 {
			mark = fmt.Sprintf("%d to fix", total)
		}
		fmt.Fprintf(&b, "  %-52s %s", g, mark)
		for i, name := range names {
			sep := ": "
			if i > 0 {
				sep = ", "
			}
			fmt.Fprintf(&b, "%s%s %d", sep, name, counts[name])
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeJSON(w io.Writer, findings []finding) error {
	if findings == nil {
		findings = []finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(findings)
}

// writeSARIF prints a SARIF 2.1.0 log with one rule per analyzer.
func writeSARIF(w io.Writer, findings []finding) error {
	run := sarif.NewRunWithInformationURI("hardenvet", "https://github.com/hardenkit/harden")
	for _, a := range audit.Analyzers() {
		run.AddRule(a.Name).WithDescription(a.Doc)
	}
	for _, f := range findings {
		loc := sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(f.File)).
			WithRegion(sarif.NewSimpleRegion(f.Line, f.Line).WithStartColumn(f.Column))
		run.CreateResultForRule(f.Analyzer).
			WithLevel("warning").
			WithMessage(sarif.NewTextMessage(f.Message)).
			AddLocation(sarif.NewLocationWithPhysicalLocation(loc))
	}
	r := report.NewV210Report()
	r.AddRun(run)
	return r.PrettyWrite(w)
}
