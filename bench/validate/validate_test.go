package validatebench

import (
	jsonv1 "encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-playground/validator/v10"
	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/validate"
)

// newValidator returns a validator set up as a hand-written handler needs
// it: required on nested structs, as harden's, and fields named by their
// JSON names in errors, which harden finds from the value instead.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled(), validator.WithTagNameFuncBlankOmit())
	v.RegisterTagNameFunc(func(sf reflect.StructField) string {
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return sf.Name
		}
		return name
	})
	return v
}

// violation is what a hand-written handler reports for each broken rule.
type violation struct {
	Field, Rule, Param, Message string
}

// byHand decodes and validates a request the way a careful handler does
// without harden, with json/v2: it checks the media type, limits the body
// to 1 MiB, rejects unknown members (json/v2 also rejects duplicate names
// and matches names exactly, as harden does) and turns validator's errors
// into a list of violations with the JSON field path, the rule and a
// message.
func byHand(v *validator.Validate, w http.ResponseWriter, r *http.Request) (order, []violation, error) {
	return byHandWith(v, w, r, func(body io.Reader, o *order) error {
		return json.UnmarshalRead(body, o, json.RejectUnknownMembers(true))
	})
}

// byHandV1 is byHand with encoding/json, which takes duplicate names (the
// last value wins) and matches names case-insensitively.
func byHandV1(v *validator.Validate, w http.ResponseWriter, r *http.Request) (order, []violation, error) {
	return byHandWith(v, w, r, func(body io.Reader, o *order) error {
		dec := jsonv1.NewDecoder(body)
		dec.DisallowUnknownFields()
		return dec.Decode(o)
	})
}

func byHandWith(v *validator.Validate, w http.ResponseWriter, r *http.Request, decode func(io.Reader, *order) error) (order, []violation, error) {
	var o order
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return o, nil, fmt.Errorf("unsupported media type %q", mt)
	}
	if err := decode(http.MaxBytesReader(w, r.Body, 1<<20), &o); err != nil {
		return order{}, nil, err
	}
	if err := v.Struct(&o); err != nil {
		var ves validator.ValidationErrors
		if !errors.As(err, &ves) {
			return order{}, nil, err
		}
		out := make([]violation, len(ves))
		for i, fe := range ves {
			out[i] = violation{Field: fe.Namespace(), Rule: fe.Tag(), Param: fe.Param(), Message: fe.Error()}
		}
		return order{}, out, nil
	}
	return o, nil, nil
}

// bare is the shortest code that decodes and validates: json/v2 straight
// from the body and validator.Struct, no media type, limit or
// unknown-member checks, the error returned as it comes.
func bare(v *validator.Validate, r *http.Request) (order, error) {
	var o order
	if err := json.UnmarshalRead(r.Body, &o); err != nil {
		return order{}, err
	}
	return o, v.Struct(&o)
}

// BenchmarkValid measures decoding and validating the valid ~1 KiB body.
func BenchmarkValid(b *testing.B) {
	run(b, validBody, 0)
}

// BenchmarkTenViolations measures decoding the body with ten broken rules
// into a list of ten violations (for harden, one VALIDATION *result.Error).
func BenchmarkTenViolations(b *testing.B) {
	run(b, invalidBody, 10)
}

func run(b *testing.B, data []byte, want int) {
	v := newValidator()
	w := httptest.NewRecorder()
	r, body := request(data)
	b.Run("harden", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			body.Reset(data)
			_, err := validate.DecodeJSON[order](w, r, nil)
			if n := countHarden(err); n != want {
				b.Fatalf("%d violations (%v), want %d", n, err, want)
			}
		}
	})
	for _, c := range []struct {
		name   string
		byHand func(*validator.Validate, http.ResponseWriter, *http.Request) (order, []violation, error)
	}{{"by-hand", byHand}, {"by-hand-v1", byHandV1}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(data)
				_, vs, err := c.byHand(v, w, r)
				if err != nil || len(vs) != want {
					b.Fatalf("%d violations (%v), want %d", len(vs), err, want)
				}
			}
		})
	}
	b.Run("bare", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			body.Reset(data)
			_, err := bare(v, r)
			if n := countBare(err); n != want {
				b.Fatalf("%d violations (%v), want %d", n, err, want)
			}
		}
	})
}

func countHarden(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := errors.AsType[*result.Error](err); ok && e.Code == result.CodeValidation {
		return len(e.Violations)
	}
	return -1
}

func countBare(err error) int {
	if err == nil {
		return 0
	}
	var ves validator.ValidationErrors
	if errors.As(err, &ves) {
		return len(ves)
	}
	return -1
}
