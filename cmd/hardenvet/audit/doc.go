// Package audit holds hardenvet's analyzers: each finds one habit of a
// prototype that production code must lose, and its message names the
// harden package that fixes it.
//
//	errtext        error text sent to an HTTP client        → result.WriteProblem, result.HandlerFunc
//	bodylimit      a request body read with no size limit    → validate.DecodeJSON
//	srvtimeout     an HTTP server without timeouts           → ReadHeaderTimeout, health.Serve
//	clienttimeout  an outbound call with no timeout/context  → http.Client{Timeout}, retry.Transport
//	retryloop      a hand-rolled retry loop with time.Sleep  → retry.Do
//	printlog       log.Print*, fmt.Print* in service code    → logx
//	inplace        a file written in place, never renamed    → statefile
//	secrets        credentials in source                     → the environment, logx.Secret
//	healthroute    a main serving HTTP with no health route  → health
//	errcheck       unchecked errors (kisielk/errcheck)
//
// Analyzers returns them all, each silenced on a line by a comment
//
//	//hardenvet:ignore <analyzer> <reason>
//
// on that line or the line above; the reason is required.
package audit
