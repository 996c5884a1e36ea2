// Package result provides the error vocabulary of a service: typed domain
// errors with stable codes, a Result type for outcomes that travel as values,
// and RFC 9457 problem responses over HTTP.
//
// # Codes and errors
//
// A Code is one of a closed set (NOT_FOUND, VALIDATION, RATE_LIMITED …), each
// with one HTTP status, a title and a retry rule. An *Error carries a code, a
// message that is safe to show a client, the details its code calls for and
// an internal Cause that is logged but never shown to a client: an error that
// is not a *Error is INTERNAL to a client, and its text never reaches one.
//
//	if p == nil {
//		return result.NotFound("project", id)
//	}
//	if err != nil {
//		return result.Internal(fmt.Errorf("load project %s: %w", id, err))
//	}
//
// Errors match by code, so the sentinels work with errors.Is through %w
// wrapping and errors.Join; CodeOf finds the code of any error, and
// errors.AsType[*result.Error] the error itself. Other packages need not
// import result: *Error has the methods Retryable() bool and RetryAfter()
// time.Duration that a retry loop reads, HTTPStatus() int, and LogValue.
//
// # HTTP
//
// WriteProblem writes an error as application/problem+json. HandlerFunc lets
// a handler return its error and recovers panics; Recover does the same for
// any http.Handler; Mux makes http.ServeMux's own 404 and 405 answers
// problems too. On the client side, FromResponse turns an upstream's error
// response back into a *Error, keeping its code and its Retry-After.
//
// # Results as values
//
// Result[T] holds a value or an error for fan-out and batches; Split
// separates a batch into its values and one joined error.
package result
