// Package validatebench measures github.com/hardenkit/harden/validate's
// DecodeJSON against decoding a request body with encoding/json and
// validating it with go-playground/validator/v10 by hand, on a realistic
// body of about 1 KiB, valid and with ten broken rules.
package validatebench
