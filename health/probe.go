package health

import (
	"fmt"
	"strings"
)

// Probe names a question an orchestrator asks a process. Combine probes
// with |, as in Liveness|Readiness.
type Probe uint8

// The probes, as Kubernetes names them.
const (
	// Liveness asks "is the process stuck beyond repair?". A failure gets
	// the process restarted, so its checks test the process itself, never
	// a shared dependency. A check with no result yet passes it.
	Liveness Probe = 1 << iota
	// Readiness asks "should this process receive traffic now?".
	// Dependencies such as a database belong here.
	Readiness
	// Startup asks "has the process finished starting?". A check passes
	// it for good once it has passed once.
	Startup
)

const allProbes = Liveness | Readiness | Startup

// String returns the probe names joined by "|", such as
// "liveness|readiness", "none" for zero, or "Probe(0x8)" for bits that
// name no probe.
func (p Probe) String() string {
	switch {
	case p == 0:
		return "none"
	case p&^allProbes != 0:
		return fmt.Sprintf("Probe(%#x)", uint8(p))
	}
	var names []string
	for _, n := range []struct {
		p    Probe
		name string
	}{{Liveness, "liveness"}, {Readiness, "readiness"}, {Startup, "startup"}} {
		if p&n.p != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, "|")
}

// endpointProbe returns the probe that the URL path segment name asks;
// healthz is readyz under its older name.
func endpointProbe(name string) (Probe, bool) {
	switch name {
	case "livez":
		return Liveness, true
	case "readyz", "healthz":
		return Readiness, true
	case "startupz":
		return Startup, true
	}
	return 0, false
}

// Status is the outcome of a probe or a check, in the vocabulary of the
// IETF draft "Health Check Response Format for HTTP APIs".
type Status string

// The statuses: pass and warn are served as 200 OK, fail as 503.
const (
	StatusPass Status = "pass" // healthy
	StatusWarn Status = "warn" // healthy, but a non-critical check fails
	StatusFail Status = "fail" // a critical check fails, has no result yet, or draining
)

// worse returns the worse of two statuses.
func worse(a, b Status) Status {
	if a == StatusFail || b == StatusFail {
		return StatusFail
	}
	if a == StatusWarn || b == StatusWarn {
		return StatusWarn
	}
	return StatusPass
}
