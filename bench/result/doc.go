// Package resultbench measures github.com/hardenkit/harden/result's CodeOf
// and WriteProblem against the code a service writes without it: errors.As
// on a wrapped chain, and a hand-written JSON error response with the same
// members.
package resultbench
