package audit_test

import (
	"fmt"

	"github.com/hardenkit/harden/cmd/hardenvet/audit"
)

// The analyzers hardenvet runs, each under the heading of the readiness
// summary its findings count towards.
func ExampleAnalyzers() {
	for _, a := range audit.Analyzers() {
		fmt.Printf("%-13s %s\n", a.Name, audit.GroupOf(a.Name))
	}
	// Output:
	// errtext       error paths (errors, validation, retries, timeouts)
	// bodylimit     security (secrets, body limits)
	// srvtimeout    error paths (errors, validation, retries, timeouts)
	// clienttimeout error paths (errors, validation, retries, timeouts)
	// retryloop     error paths (errors, validation, retries, timeouts)
	// printlog      operational surface (logging, health)
	// inplace       data durability (state)
	// secrets       security (secrets, body limits)
	// healthroute   operational surface (logging, health)
	// errcheck      error paths (errors, validation, retries, timeouts)
}
