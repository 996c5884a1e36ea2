package validate

import (
	"bytes"
	"cmp"
	"encoding"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/hardenkit/harden/result"
)

// DefaultMaxBytes is the request body limit DecodeJSON applies when
// DecodeOptions.MaxBytes is not set: 1 MiB.
const DefaultMaxBytes = 1 << 20

// DecodeOptions configures DecodeJSON. The zero value, and a nil
// *DecodeOptions, give the production defaults, which each field states.
type DecodeOptions struct {
	// MaxBytes limits the request body. Zero or less means DefaultMaxBytes.
	MaxBytes int64
	// AllowUnknownFields accepts and ignores object members that match no
	// field (including a name that differs from a field's only in case),
	// for an API that must take fields it does not know yet. By default
	// the first one is a violation at its pointer, so that a misspelt
	// optional field ("emial") is not silently dropped. Duplicate names
	// are refused either way.
	AllowUnknownFields bool
	// Validator runs the struct validation, with its own rules and
	// messages. Nil means the default Validator, as Struct uses.
	Validator *Validator
}

// DecodeJSON reads r's body as one JSON value into a T, with the semantics
// of encoding/json/v2 and the strict rules of the package doc, and, when T
// is a struct or a pointer to one, validates it with its `validate` tags.
//
// Every problem with the request is a *result.Error with a 4xx status:
//
//   - a Content-Type other than application/json or a +json type (such as
//     application/merge-patch+json), a missing one, or a charset other
//     than UTF-8: UNSUPPORTED_MEDIA_TYPE (415);
//   - a body over DecodeOptions.MaxBytes: PAYLOAD_TOO_LARGE (413);
//   - a client that goes away while the body is read: CANCELED (499);
//   - a body that does not decode: VALIDATION (400) with one violation for
//     the first problem: an empty body, invalid UTF-8, a syntax error (with
//     its line, column and byte offset), a duplicate or unknown member, a
//     value of the wrong JSON type or out of its Go type's range, or data
//     after the value;
//   - a body that decodes but breaks rules: VALIDATION (400) with every
//     broken rule, as Struct reports them.
//
// On error DecodeJSON returns the zero T, never a partly decoded value. A
// top-level null is rejected when T is a struct or a pointer to one.
//
// w may be nil; with a ResponseWriter, an oversized body makes the server
// close the connection after the response (see http.MaxBytesReader).
// DecodeJSON does not close r.Body, as the http.Server does that. A nil r,
// a T that json/v2 cannot decode into (a malformed json tag, two fields
// with one name), a panic in a custom UnmarshalJSON, and a bad `validate`
// tag are bugs: DecodeJSON returns a plain error (INTERNAL to a client).
func DecodeJSON[T any](w http.ResponseWriter, r *http.Request, opts *DecodeOptions) (T, error) {
	var v T
	if err := decodeRequest(w, r, opts, &v, reflect.TypeFor[T]()); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// decodeRequest is DecodeJSON without the type parameter: target points at
// the zero value of t.
func decodeRequest(w http.ResponseWriter, r *http.Request, opts *DecodeOptions, target any, t reflect.Type) (err error) {
	var o DecodeOptions
	if opts != nil {
		o = *opts
	}
	val := cmp.Or(o.Validator, defaultValidator())
	if val.v == nil {
		return errZeroValidator
	}
	val.freeze()
	if r == nil {
		return errors.New("validate: DecodeJSON: nil request")
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	limit := cmp.Or(max(o.MaxBytes, 0), DefaultMaxBytes)
	if r.ContentLength > limit {
		return result.PayloadTooLarge(limit)
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		// Sized by the declared length, up to the default limit so that
		// claiming a large body costs nothing: 2% of DecodeValidRatio.
		buf := bytes.NewBuffer(make([]byte, 0, max(0, min(r.ContentLength, DefaultMaxBytes))+bytes.MinRead))
		_, err = buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
		body = buf.Bytes()
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return result.PayloadTooLarge(limit)
		}
		if r.Context().Err() != nil {
			return result.Canceled(fmt.Errorf("validate: read request body: %w", err))
		}
		return result.Validation(result.Violation{Rule: "read", Message: "the request body could not be read"}).
			WithCause(fmt.Errorf("validate: read request body: %w", err))
	}
	first := len(body) - len(bytes.TrimLeft(body, " \t\r\n"))
	if first == len(body) {
		return result.Validation(result.Violation{Rule: "required", Message: "the request body is empty"})
	}

	defer func() {
		// A panic here comes from a type's own UnmarshalJSON or from a
		// validate tag validator cannot run: a bug, not bad input.
		if p := recover(); p != nil {
			err = fmt.Errorf("validate: DecodeJSON(%s): %v", t, p)
		}
	}()
	if err := json.Unmarshal(body, target, json.RejectUnknownMembers(!o.AllowUnknownFields)); err != nil {
		return decodeError(body, t, err)
	}
	st := t // DecodeJSON validates a struct or a pointer to one
	if t.Kind() == reflect.Pointer {
		st, target = t.Elem(), reflect.ValueOf(target).Elem().Interface()
	}
	switch {
	case st.Kind() != reflect.Struct || isTime(st):
		return nil
	case body[first] == 'n':
		return result.Validation(result.Violation{Rule: "type", Param: "object", Message: "must be an object"})
	}
	return val.Struct(target) // a struct through its pointer rather than a copy
}

// decodeError turns json/v2's error for body into a violation, or into a
// plain error when json/v2 refused the Go type rather than the input.
func decodeError(body []byte, t reflect.Type, err error) error {
	var v result.Violation
	switch e := err.(type) {
	case *jsontext.SyntacticError:
		v = syntaxViolation(body, e)
	case *json.SemanticError:
		if typeRefused(e) {
			return fmt.Errorf("validate: DecodeJSON(%s): %w", t, err)
		}
		v = semanticViolation(e)
	default:
		return fmt.Errorf("validate: DecodeJSON(%s): %w", t, err)
	}
	if !utf8.Valid(body) {
		// json/v2 stops at the first problem; invalid UTF-8 anywhere in
		// the body is the one to fix first.
		off := 0
		for r, n := utf8.DecodeRune(body); r != utf8.RuneError || n != 1; r, n = utf8.DecodeRune(body[off:]) {
			off += n
		}
		v = result.Violation{Rule: "utf8", Message: "the request body is not valid UTF-8 (" + position(body, off) + ")"}
	}
	return result.Validation(v).WithCause(err)
}

func syntaxViolation(body []byte, err *jsontext.SyntacticError) result.Violation {
	if errors.Is(err, jsontext.ErrDuplicateName) {
		return result.Violation{Pointer: string(err.JSONPointer), Rule: "duplicate", Message: "must appear only once in its object"}
	}
	// json/v2 reads the first value whole before it looks further: if
	// that value reads alone, the error is about what follows it.
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	if _, rerr := dec.ReadValue(); rerr == nil {
		off := int(dec.InputOffset())
		off += len(body[off:]) - len(bytes.TrimLeft(body[off:], " \t\r\n"))
		what := "unexpected data after the JSON value"
		if _, rerr := dec.ReadValue(); rerr == nil {
			what = "a second JSON value"
		}
		return result.Violation{Rule: "syntax",
			Message: "the request body must hold one JSON value, but has " + what + " (" + position(body, off) + ")"}
	}
	msg := err.Error()
	if err.Err != nil {
		msg = err.Err.Error() // without the pointer and offset, which the violation gives
	}
	return result.Violation{Pointer: string(err.JSONPointer), Rule: "syntax",
		Message: "the request body is not valid JSON: " + msg + " (" + position(body, int(err.ByteOffset)) + ")"}
}

// semanticViolation describes a value json/v2 could not store.
func semanticViolation(err *json.SemanticError) result.Violation {
	v := result.Violation{Pointer: string(err.JSONPointer), Rule: "type"}
	switch {
	case errors.Is(err, json.ErrUnknownName):
		v.Rule, v.Message = "unknown", "is not an allowed field"
	case isTime(err.GoType):
		v.Rule, v.Message = "format", "must be a date and time in RFC 3339 format, such as 2006-01-02T15:04:05Z"
	case hasUnmarshaler(err.GoType):
		// The type's own method refused the value. Its error may hold
		// internals; only a *result.Error is meant for a client.
		v.Rule, v.Message = "format", "is not a valid value"
		if e, ok := errors.AsType[*result.Error](err.Err); ok && e.Message != "" {
			v.Message = e.Message
		}
	case err.JSONKind == '0' && err.Err == nil:
		v.Param, v.Message = expected(err.GoType, nil)
		if v.Param == "integer" || v.Param == "number" { // refused as such: the string option
			v.Param, v.Message = "string", v.Message+", written as a JSON string"
		}
	case err.JSONKind == '0' && err.Err != nil:
		v.Param, v.Message = expected(err.GoType, err.JSONValue) // a number that did not fit
	default:
		v.Param, v.Message = expected(err.GoType, nil)
	}
	return v
}

// typeRefused reports whether json/v2 refused the Go type rather than the
// value: it fails before reading the value (a field it cannot set, a tag
// option the type does not allow, a type without a JSON form), or a struct
// without methods of its own fails as a whole (a malformed tag, fields in
// conflict).
func typeRefused(err *json.SemanticError) bool {
	t := err.GoType
	return err.JSONKind == 0 || t != nil && t.Kind() == reflect.Struct && err.Err != nil &&
		!errors.Is(err, json.ErrUnknownName) && !hasUnmarshaler(t)
}

var unmarshalers = []reflect.Type{
	reflect.TypeFor[json.Unmarshaler](), reflect.TypeFor[json.UnmarshalerFrom](), reflect.TypeFor[encoding.TextUnmarshaler](),
}

// hasUnmarshaler reports whether t decodes itself with a method.
func hasUnmarshaler(t reflect.Type) bool {
	return t != nil && slices.ContainsFunc(unmarshalers, reflect.PointerTo(t).Implements)
}

// expected words the JSON a Go type takes. number is a number the client
// sent that did not fit, whose range is then worth saying.
func expected(t reflect.Type, number []byte) (param, msg string) {
	if t == nil {
		return "", "does not match the expected structure"
	}
	switch k := t.Kind(); {
	case k >= reflect.Int && k <= reflect.Uintptr:
		if number == nil || bytes.ContainsAny(number, ".eE") {
			return "integer", "must be an integer"
		}
		lo, hi := strconv.FormatInt(-1<<(t.Bits()-1), 10), strconv.FormatInt(1<<(t.Bits()-1)-1, 10)
		if k >= reflect.Uint {
			lo, hi = "0", strconv.FormatUint(1<<t.Bits()-1, 10)
		}
		return "integer", "must be an integer between " + lo + " and " + hi
	case k == reflect.Float32 || k == reflect.Float64:
		if number == nil {
			return "number", "must be a number"
		}
		hi := strconv.FormatFloat(math.MaxFloat64, 'g', 2, 64)
		if k == reflect.Float32 {
			hi = strconv.FormatFloat(math.MaxFloat32, 'g', 2, 64)
		}
		return "number", "must be a number between -" + hi + " and " + hi
	case (k == reflect.Slice || k == reflect.Array) && t.Elem().Kind() == reflect.Uint8:
		return "string", "must be a base64-encoded string"
	}
	if w, ok := kinds[t.Kind()]; ok {
		return w[0], w[1]
	}
	return "", "does not match the expected structure"
}

// kinds words the JSON each other kind of Go value takes.
var kinds = map[reflect.Kind][2]string{
	reflect.Bool: {"boolean", "must be a boolean"}, reflect.String: {"string", "must be a string"},
	reflect.Slice: {"array", "must be an array"}, reflect.Array: {"array", "must be an array"},
	reflect.Map: {"object", "must be an object"}, reflect.Struct: {"object", "must be an object"},
}

// checkContentType accepts application/json and any type/subtype+json,
// with no charset or UTF-8.
func checkContentType(ct string) error {
	if ct == "application/json" || strings.EqualFold(ct, "application/json; charset=utf-8") {
		return nil // the common case, without the allocations of a parse (DecodeValidRatio)
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return result.UnsupportedMediaType(ct, "application/json").WithCause(fmt.Errorf("validate: Content-Type %q: %w", ct, err))
	}
	_, sub, _ := strings.Cut(mt, "/")
	if mt != "application/json" && !(strings.HasSuffix(sub, "+json") && len(sub) > len("+json")) {
		return result.UnsupportedMediaType(mt, "application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		// JSON is UTF-8 (RFC 8259); decoding another charset as UTF-8
		// would silently corrupt the text.
		if len(cs) > 32 {
			cs = cs[:32] + "…"
		}
		return result.UnsupportedMediaType(ct, "application/json").
			WithMessage("unsupported charset " + strconv.Quote(cs) + "; JSON must be UTF-8")
	}
	return nil
}

// position describes the byte offset off in body for a person: its line and
// column (both from 1, the column counted in characters) and the offset
// itself (from 0).
func position(body []byte, off int) string {
	off = max(0, min(off, len(body)))
	line := 1 + bytes.Count(body[:off], []byte{'\n'})
	start := bytes.LastIndexByte(body[:off], '\n') + 1
	col := 1 + utf8.RuneCount(body[start:off])
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ", byte offset " + strconv.Itoa(off)
}
