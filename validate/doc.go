// Package validate provides the input boundary of a service: safe JSON
// decoding of request bodies and field-level validation with
// go-playground/validator/v10, where every problem becomes one
// *result.Error that a client can act on, never a 500 and never a panic.
//
// # Decoding a request
//
// DecodeJSON reads a request body into a value and validates it:
//
//	type createOrder struct {
//		Customer string      `json:"customer" validate:"required,email"`
//		Status   string      `json:"status" validate:"oneof=draft published"`
//		Items    []orderItem `json:"items" validate:"required,max=50,dive"`
//	}
//
//	func create(w http.ResponseWriter, r *http.Request) error {
//		req, err := validate.DecodeJSON[createOrder](w, r, nil)
//		if err != nil {
//			return err // result.HandlerFunc writes the problem response
//		}
//		…
//	}
//
// It checks the Content-Type (415), limits the body to 1 MiB (413), and
// reports everything else as VALIDATION (400): an empty body, invalid
// UTF-8, a syntax error with its line, column and byte offset, data after
// the value, unknown members, values of the wrong type or out of range, and
// every broken rule, in one error.
//
// # Violations
//
// Each problem is a result.Violation: a JSON Pointer (RFC 6901) to the
// value, such as "/items/0/quantity", the rule that failed ("min"), its
// parameter ("1") and an English message ("must be at least 1"). Pointers
// use the JSON names of fields, without the struct's own name and without
// the embedded structs whose fields JSON promotes, so no Go type or field
// name reaches a client. Decode problems use the rules "required" (an empty
// body), "read" (a body that broke off), "syntax", "utf8", "unknown",
// "type" and "format" (a value its type's UnmarshalJSON or UnmarshalText
// rejected). result.WriteProblem renders them as the problem's errors
// member:
//
//	{"type": "tag:hardenkit.dev,2026:problem/validation", "title": "Invalid request",
//	 "status": 400, "detail": "the request has 1 invalid field", "instance": "/orders",
//	 "code": "VALIDATION",
//	 "errors": [{"pointer": "/items/0/quantity", "rule": "gte", "param": "1",
//	             "message": "must be at least 1"}]}
//
// # Validators, rules and messages
//
// Struct and Var validate with a default Validator that nobody can change.
// For custom rules, aliases or messages, build your own with New, register
// on it, then use it, with DecodeOptions.Validator for DecodeJSON:
//
//	v := validate.New(&validate.Options{Messages: map[string]validate.MessageFunc{
//		"e164": validate.Message("must be a phone number such as +14155552671"),
//	}})
//	if err := v.RegisterRule("sku", isSKU, validate.Message("must be a SKU such as AB-1234")); err != nil {
//		return err
//	}
//
// Registration must happen before the Validator's first use; after it,
// RegisterRule and RegisterAlias return an error, so no registration can
// race with a validation.
//
// # What is a bug and what is bad input
//
// Bad input is always a *result.Error with a 4xx status. Mistakes in the
// program (a malformed validate tag, Struct called on a non-struct, a
// panicking UnmarshalJSON) are plain errors, which a problem response shows
// as INTERNAL: they need a fix, not a different request.
package validate
