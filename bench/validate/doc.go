// Package validatebench measures github.com/hardenkit/harden/validate's
// DecodeJSON against decoding a request body by hand with json/v2 (the
// module github.com/go-json-experiment/json) or encoding/json and
// validating it with go-playground/validator/v10, on a realistic body of
// about 1 KiB, valid and with ten broken rules.
package validatebench
