// Command hardenvet audits a Go module for the habits of a prototype that
// production code must lose, and names the harden package that fixes each.
//
//	go run github.com/hardenkit/harden/cmd/hardenvet@latest ./...
//
// It prints one line per finding, as go vet does, then a readiness summary
// that groups the findings as a production-readiness audit does. -json
// prints the findings as JSON and -sarif as SARIF 2.1.0 for code-scanning
// services. The exit status is 0 with no findings, 3 with findings, and 1
// when the packages could not be loaded or analyzed.
//
// hardenvet also works as a vet tool, running the same analyzers inside
// go vet's build:
//
//	go install github.com/hardenkit/harden/cmd/hardenvet@latest
//	go vet -vettool=$(which hardenvet) ./...
//
// See package audit for the analyzers, and the suppression comment
// //hardenvet:ignore <analyzer> <reason>.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hardenkit/harden/cmd/hardenvet/audit"
	"golang.org/x/tools/go/analysis/unitchecker"
)

// Exit statuses.
const (
	exitClean    = 0
	exitError    = 1
	exitUsage    = 2
	exitFindings = 3
)

func main() {
	if invokedByVet(os.Args[1:]) {
		unitchecker.Main(audit.Analyzers()...)
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// invokedByVet reports whether go vet -vettool runs this program: it asks
// for -V=full or -flags, or hands over one .cfg file per package.
func invokedByVet(args []string) bool {
	for _, a := range args {
		if a == "-V=full" || a == "-flags" || strings.HasSuffix(a, ".cfg") {
			return true
		}
	}
	return false
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hardenvet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	asSARIF := fs.Bool("sarif", false, "print the findings as SARIF 2.1.0")
	fs.Usage = func() {
		_, _ = fmt.Fprintf(stderr, "usage: hardenvet [-json | -sarif] [packages]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *asJSON && *asSARIF {
		_, _ = fmt.Fprintln(stderr, "hardenvet: -json and -sarif cannot be combined")
		return exitUsage
	}
	patterns := fs.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	findings, err := analyze(patterns)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "hardenvet: %v\n", err)
		return exitError
	}
	switch {
	case *asJSON:
		err = writeJSON(stdout, findings)
	case *asSARIF:
		err = writeSARIF(stdout, findings)
	default:
		err = writeText(stdout, findings)
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "hardenvet: %v\n", err)
		return exitError
	}
	if len(findings) > 0 {
		return exitFindings
	}
	return exitClean
}
