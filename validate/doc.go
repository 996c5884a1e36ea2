// Package validate provides the input boundary of a service: strict JSON
// decoding of request bodies with encoding/json/v2 semantics and
// field-level validation with go-playground/validator/v10, where every
// problem becomes one *result.Error that a client can act on, never a 500
// and never a panic.
//
//	type createOrder struct {
//		Customer string      `json:"customer" validate:"required,email"`
//		Items    []orderItem `json:"items" validate:"required,max=50,dive"`
//	}
//
//	req, err := validate.DecodeJSON[createOrder](w, r, nil)
//	if err != nil {
//		return err // result.HandlerFunc writes the problem response
//	}
//
// # Strict by default
//
// DecodeJSON refuses, as VALIDATION (400), a body that two parsers could
// read two ways: a member name that appears twice in one object
// ({"name":"a","name":"b"}), and a name that matches a field only when
// case is ignored ({"NAME":…} for a field tagged "name"). Both are known
// sources of parser-differential bugs, where a proxy or another service
// checks one value and this service acts on another. It also refuses
// invalid UTF-8, unknown members, and data after the value.
// DecodeOptions.AllowUnknownFields accepts unknown members; json/v2's
// case:ignore tag option opts one field into case-insensitive matching.
// Decoding follows json/v2: fields are named by their json tag (options
// such as omitzero and string included), null sets a value to its zero
// value, and a type json/v2 refuses (time.Duration has no default JSON
// form) is a bug, reported as a plain error.
//
// # Violations
//
// Each problem is a result.Violation: a JSON Pointer (RFC 6901) to the
// value ("/items/0/quantity"), the rule that failed ("gte"), its parameter
// ("1") and an English message ("must be at least 1"). Pointers and
// cross-field parameters use JSON member names, never Go names. Decoding
// stops at the first problem (rules "required" for an empty body, "read",
// "syntax", "utf8", "duplicate", "unknown", "type" and "format"); a body
// that decodes is checked against every rule, and all broken rules are
// reported together.
//
// # Validators, rules and messages
//
// Struct and Var use a default Validator that nobody can change. For custom
// rules, aliases or messages, build one with New and pass it to DecodeJSON
// in DecodeOptions.Validator.
//
// # What is a bug and what is bad input
//
// Bad input is always a *result.Error with a 4xx status. Mistakes in the
// program (a malformed validate or json tag, Struct called on a non-struct,
// a panicking UnmarshalJSON) are plain errors, which a problem response
// shows as INTERNAL: they need a fix, not a different request.
package validate
