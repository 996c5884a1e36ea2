package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/hardenkit/harden/result"
)

// DefaultMaxBytes is the request body limit DecodeJSON applies when
// DecodeOptions.MaxBytes is not set: 1 MiB.
const DefaultMaxBytes = 1 << 20

// DecodeOptions configures DecodeJSON. The zero value, and a nil
// *DecodeOptions, give the production defaults: a 1 MiB limit, unknown
// members rejected, and the package's default Validator.
type DecodeOptions struct {
	// MaxBytes limits the request body. Zero or less means DefaultMaxBytes.
	MaxBytes int64
	// AllowUnknownFields accepts and ignores object members that match no
	// field. By default each one is a violation at its pointer, so that a
	// misspelt optional field ("emial") is not silently dropped.
	AllowUnknownFields bool
	// Validator runs the struct validation, with its own rules and
	// messages. Nil means the default Validator, as Struct uses.
	Validator *Validator
}

// DecodeJSON reads r's body as one JSON value into a T and, when T is a
// struct or a pointer to one, validates it with its `validate` tags.
//
// Every problem with the request is a *result.Error with a 4xx status:
//
//   - a Content-Type other than application/json or a +json type (such as
//     application/merge-patch+json), a missing one, or a charset other
//     than UTF-8: UNSUPPORTED_MEDIA_TYPE (415);
//   - a body over the limit (DecodeOptions.MaxBytes, 1 MiB by default):
//     PAYLOAD_TOO_LARGE (413); the body is read through
//     http.MaxBytesReader, so the server also closes the connection;
//   - anything else: VALIDATION (400), with one violation for each problem
//     it can find (up to MaxViolations): an empty body; invalid UTF-8; a
//     syntax error, with its line, column and byte offset (nothing after a
//     syntax error can be checked); data after the JSON value,
//     such as a second value; each member that matches no field; each value
//     of the wrong JSON type or out of its Go type's range, at its pointer
//     ("/items/2/quantity": "must be an integer"); and every rule the value
//     breaks, as Struct reports them;
//   - a client that goes away while the body is read: CANCELED (499).
//
// On error DecodeJSON returns the zero T, never a partly decoded value.
//
// Decoding follows encoding/json otherwise: members match fields by their
// JSON names, case-insensitively; with a duplicate key the last value wins;
// null leaves a non-pointer field at its zero value (so a `required` rule
// then reports it) and sets a pointer to nil. A top-level null is rejected
// when T is a struct or a pointer to one. Decode violations point into the
// document as the client wrote it; rule violations use the fields' JSON
// names.
//
// w may be nil; with a ResponseWriter, an oversized body makes the server
// close the connection after the response. DecodeJSON does not close
// r.Body, as the http.Server does that. A nil r, a panic in a custom
// UnmarshalJSON, and a bad `validate` tag are bugs rather than bad input:
// DecodeJSON returns a plain error (INTERNAL to a client) for them.
func DecodeJSON[T any](w http.ResponseWriter, r *http.Request, opts *DecodeOptions) (T, error) {
	var v T
	var o DecodeOptions
	if opts != nil {
		o = *opts
	}
	val := o.Validator
	if val == nil {
		val = defaultValidator()
	}
	if err := val.decodeRequest(w, r, &o, &v, reflect.TypeFor[T]()); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// decodeRequest is DecodeJSON without the type parameter: target points at
// the zero value of t.
func (val *Validator) decodeRequest(w http.ResponseWriter, r *http.Request, o *DecodeOptions, target any, t reflect.Type) (err error) {
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
	limit := o.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if r.ContentLength > limit {
		return result.PayloadTooLarge(limit)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return result.Validation(emptyBody())
	}

	bb := val.getBuf(r.ContentLength)
	defer val.putBuf(bb)
	body, rerr := readAll(http.MaxBytesReader(w, r.Body, limit), bb.b)
	bb.b = body
	if rerr != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(rerr, &tooLarge):
			return result.PayloadTooLarge(limit)
		case r.Context().Err() != nil:
			return result.Canceled(fmt.Errorf("validate: read request body: %w", rerr))
		}
		return result.Validation(result.Violation{
			Rule:    "read",
			Message: "the request body could not be read",
		}).WithCause(fmt.Errorf("validate: read request body: %w", rerr))
	}

	defer func() {
		// A panic here comes from a type's own UnmarshalJSON or from a
		// validate tag validator cannot run: a bug, not bad input.
		if p := recover(); p != nil {
			err = fmt.Errorf("validate: DecodeJSON(%s): %v", t, p)
		}
	}()
	return val.decodeBody(bb, target, t, !o.AllowUnknownFields)
}

// emptyBody returns the violation for a request without a body.
func emptyBody() result.Violation {
	return result.Violation{Rule: "required", Message: "the request body is empty"}
}

// decodeBody decodes and validates body into target, a pointer to a zero t.
func (val *Validator) decodeBody(bb *bodyBuf, target any, t reflect.Type, disallowUnknown bool) error {
	body := bb.b
	var viols []result.Violation
	if !utf8.Valid(body) {
		viols = append(viols, result.Violation{
			Rule:    "utf8",
			Message: "the request body is not valid UTF-8 (" + position(body, invalidUTF8(body)) + ")",
		})
	}

	bb.r.Reset(body)
	dec := json.NewDecoder(&bb.r)
	if disallowUnknown {
		dec.DisallowUnknownFields()
	}
	derr := dec.Decode(target)
	end := int(dec.InputOffset())
	if derr != nil && end == 0 {
		// The decoder could not read a whole value. (Once it has, an error
		// comes from decoding it, even one that looks like a syntax error,
		// such as a custom UnmarshalJSON's own.)
		var syntax *json.SyntaxError
		switch {
		case errors.Is(derr, io.EOF):
			return result.Validation(emptyBody())
		case errors.As(derr, &syntax):
			off := int(syntax.Offset) - 1
			return result.Validation(append(viols, syntaxViolation(body, off, syntax.Error()))...).WithCause(derr)
		default: // io.ErrUnexpectedEOF
			return result.Validation(append(viols, syntaxViolation(body, len(body), "unexpected end of JSON input"))...).WithCause(derr)
		}
	}

	first := skipSpace(body, 0)
	structTarget := isStructType(t)
	aborted := false
	if derr != nil {
		d := diagnoser{v: val, data: body[:end], disallowUnknown: disallowUnknown}
		d.run(t)
		if len(d.out) == 0 {
			d.out = append(d.out, fallbackViolation(derr))
		}
		viols = append(viols, d.out...)
		aborted = d.aborted
	} else if structTarget && body[first] == 'n' {
		viols = append(viols, result.Violation{Rule: "type", Param: "object", Message: "must be an object"})
		aborted = true
	}
	if rest := skipSpace(body, end); rest < len(body) {
		viols = append(viols, trailingViolation(body, rest))
	}

	if structTarget && !aborted {
		top := reflect.ValueOf(target).Elem()
		s := target // validate a struct through its pointer rather than copy it
		if top.Kind() == reflect.Pointer {
			s = top.Interface()
		}
		if verr := val.v.Struct(s); verr != nil {
			var ves validator.ValidationErrors
			if !errors.As(verr, &ves) {
				return fmt.Errorf("validate: DecodeJSON(%s): %w", t, verr)
			}
			viols = val.mergeViolations(viols, top, ves)
		}
	}
	if len(viols) == 0 {
		return nil
	}
	if len(viols) > MaxViolations {
		viols = viols[:MaxViolations]
	}
	e := result.Validation(viols...)
	if derr != nil {
		e = e.WithCause(derr)
	}
	return e
}

// mergeViolations appends the rule violations of ves to viols, leaving out
// those at or under a value that already failed to decode: a number sent
// as a string is reported as a type error, not also as missing.
func (val *Validator) mergeViolations(viols []result.Violation, top reflect.Value, ves validator.ValidationErrors) []result.Violation {
	var failed []string
	for _, x := range viols {
		if x.Rule == "type" || x.Rule == "format" {
			failed = append(failed, x.Pointer)
		}
	}
	n := len(viols)
	viols = val.violations(top, ves, viols)
	if len(failed) == 0 {
		return viols
	}
	kept := viols[:n]
	for _, x := range viols[n:] {
		if !underAny(x.Pointer, failed) {
			kept = append(kept, x)
		}
	}
	return kept
}

func underAny(p string, prefixes []string) bool {
	for _, q := range prefixes {
		if p == q || (strings.HasPrefix(p, q) && p[len(q)] == '/') {
			return true
		}
	}
	return false
}

// isStructType reports whether DecodeJSON validates a value of type t.
func isStructType(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && !t.ConvertibleTo(timeType)
}

// checkContentType accepts application/json and any type/subtype+json,
// with no charset or UTF-8.
func checkContentType(ct string) error {
	if ct == "application/json" || strings.EqualFold(ct, "application/json; charset=utf-8") {
		return nil
	}
	if ct == "" {
		return result.UnsupportedMediaType("", "application/json")
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
		return result.UnsupportedMediaType(ct, "application/json").
			WithMessage("unsupported charset " + strconv.Quote(truncate(cs, 32)) + "; JSON must be UTF-8")
	}
	return nil
}

// truncate cuts client input short for a message.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// readAll is io.ReadAll into buf's storage, so a pooled buffer is reused.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	b := buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// bodyBuf is a request body buffer and a reader over it, reused through
// the Validator's pool.
type bodyBuf struct {
	b []byte
	r bytes.Reader
}

// maxPooledBuf bounds the buffers kept for reuse, so that one large body
// does not pin its memory.
const maxPooledBuf = 64 << 10

func (val *Validator) getBuf(contentLength int64) *bodyBuf {
	bb, _ := val.bufs.Get().(*bodyBuf)
	if bb == nil {
		bb = &bodyBuf{b: make([]byte, 0, 4<<10)}
	}
	// One byte more than the body, so that reading its EOF needs no growth;
	// a declared length is trusted only up to the default limit, so that a
	// client cannot make the server allocate by claiming a large body.
	if contentLength > 0 && contentLength < DefaultMaxBytes && int64(cap(bb.b)) <= contentLength {
		bb.b = make([]byte, 0, contentLength+1)
	}
	return bb
}

func (val *Validator) putBuf(bb *bodyBuf) {
	if cap(bb.b) > maxPooledBuf {
		return
	}
	bb.b = bb.b[:0]
	bb.r.Reset(nil)
	val.bufs.Put(bb)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
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

func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func syntaxViolation(body []byte, off int, msg string) result.Violation {
	return result.Violation{
		Rule:    "syntax",
		Message: "the request body is not valid JSON: " + msg + " (" + position(body, off) + ")",
	}
}

func trailingViolation(body []byte, off int) result.Violation {
	what := "unexpected data after the JSON value"
	var raw json.RawMessage
	if json.NewDecoder(bytes.NewReader(body[off:])).Decode(&raw) == nil {
		what = "a second JSON value"
	}
	return result.Violation{
		Rule:    "syntax",
		Message: "the request body must hold one JSON value, but has " + what + " (" + position(body, off) + ")",
	}
}

// fallbackViolation describes a decode error the diagnoser did not place,
// as well as encoding/json's error allows.
func fallbackViolation(err error) result.Violation {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type != nil {
		var b []byte
		if te.Field != "" {
			for seg := range strings.SplitSeq(te.Field, ".") {
				b = appendPointerToken(b, seg)
			}
		}
		param, msg := expected(te.Type)
		return result.Violation{Pointer: string(b), Rule: "type", Param: param, Message: msg}
	}
	return result.Violation{Rule: "type", Message: "the request body does not match the expected structure"}
}
