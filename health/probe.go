package health

import (
	"strconv"
	"strings"
)

// Probe names the questions an orchestrator asks a process. A Check
// belongs to one or more probes; combine them with |, as in
// Liveness|Readiness. The zero Probe in a Check means Readiness.
type Probe uint8

// The probes, as Kubernetes names them.
const (
	// Liveness asks "is the process stuck beyond repair?". A failing
	// liveness probe gets the process restarted, so liveness checks
	// should test the process itself, never a shared dependency.
	Liveness Probe = 1 << iota
	// Readiness asks "should this process receive traffic now?".
	// Dependencies such as a database belong here.
	Readiness
	// Startup asks "has the process finished starting?". It passes
	// once every critical startup check has passed once, and stays
	// passed.
	Startup
)

const allProbes = Liveness | Readiness | Startup

// String returns the probe names joined by "|", such as
// "liveness|readiness", or "Probe(0x8)" for bits that name no probe.
func (p Probe) String() string {
	if p == 0 {
		return "none"
	}
	if p&^allProbes != 0 {
		return "Probe(0x" + strconv.FormatUint(uint64(p), 16) + ")"
	}
	var names []string
	if p&Liveness != 0 {
		names = append(names, "liveness")
	}
	if p&Readiness != 0 {
		names = append(names, "readiness")
	}
	if p&Startup != 0 {
		names = append(names, "startup")
	}
	return strings.Join(names, "|")
}

// Status is the outcome of a probe or a check, in the vocabulary of the
// IETF draft "Health Check Response Format for HTTP APIs".
type Status string

// The statuses. Pass and warn are served as 200 OK, fail as 503 Service
// Unavailable.
const (
	// StatusPass means healthy.
	StatusPass Status = "pass"
	// StatusWarn means healthy with a concern: a non-critical check is
	// failing.
	StatusWarn Status = "warn"
	// StatusFail means unhealthy: a critical check is failing, a
	// readiness check has no passing result yet, or the process is
	// draining.
	StatusFail Status = "fail"
)

// endpoint is one URL path segment the handler answers to. healthz is
// readyz under its older name; it is kept apart only because the text
// form names the endpoint in its last line.
type endpoint uint8

const (
	epLivez endpoint = iota
	epReadyz
	epHealthz
	epStartupz
	numEndpoints
)

// String implements fmt.Stringer.
func (e endpoint) String() string {
	switch e {
	case epLivez:
		return "livez"
	case epReadyz:
		return "readyz"
	case epHealthz:
		return "healthz"
	default:
		return "startupz"
	}
}

func (e endpoint) probe() Probe {
	switch e {
	case epLivez:
		return Liveness
	case epStartupz:
		return Startup
	default:
		return Readiness
	}
}

func endpointByName(s string) (endpoint, bool) {
	for e := range numEndpoints {
		if s == e.String() {
			return e, true
		}
	}
	return 0, false
}
