// Package healthbench measures /readyz served by
// github.com/hardenkit/harden/health against alexliesenfeld/health,
// hellofresh/health-go/v5 and a bare handler that writes a fixed answer,
// each with the same two passing checks.
package healthbench
