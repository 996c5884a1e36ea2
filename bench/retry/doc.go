// Package retrybench measures github.com/hardenkit/harden/retry against the
// retry libraries a service would use instead: cenkalti/backoff/v4's Retry,
// avast/retry-go/v4, sethvargo/go-retry and failsafe-go, and its HTTP
// Transport against hashicorp/go-retryablehttp. Every contender makes at
// most four attempts and is given the caller's context where it takes one.
package retrybench
