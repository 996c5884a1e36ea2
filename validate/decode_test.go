package validate

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/hardenkit/harden/result"
)

type decAddress struct {
	City string `json:"city" validate:"required"`
}

type decMeta struct {
	Source string `json:"source" validate:"omitempty,oneof=web api"`
}

type decItem struct {
	Name  string `json:"name" validate:"required,min=2"`
	Qty   int    `json:"qty" validate:"gte=1"`
	Price uint8  `json:"price"`
}

type decOrder struct {
	decMeta
	Name     string            `json:"name" validate:"required"`
	Status   string            `json:"status" validate:"omitempty,oneof=draft published"`
	Items    []decItem         `json:"items" validate:"dive"`
	Address  *decAddress       `json:"address"`
	Labels   map[string]string `json:"labels" validate:"dive,max=5"`
	Ratio    float64           `json:"ratio"`
	Small    float32           `json:"small"`
	Flag     bool              `json:"flag"`
	Extra    any               `json:"extra"`
	Note     *string           `json:"note" validate:"required"`
	Count    int               `json:"count,string"`
	When     time.Time         `json:"when"`
	Raw      []byte            `json:"raw"`
	ByID     map[int]string    `json:"by_id"`
	Big      int64             `json:"big"`
	Whatever json.RawMessage   `json:"whatever"`
}

// validOrder is a body that decodes and validates.
const validOrder = `{"name":"n","note":"x","items":[{"name":"ab","qty":1}]}`

// decode runs DecodeJSON on body as application/json.
func decode[T any](t *testing.T, body string) (T, error) {
	t.Helper()
	return DecodeJSON[T](httptest.NewRecorder(), jsonRequest(body), nil)
}

// violations returns err's violations, failing unless err is a VALIDATION
// *result.Error.
func violations(t *testing.T, err error) []result.Violation {
	t.Helper()
	e := resultAs(err)
	if e == nil {
		t.Fatalf("got %v (%T), want a *result.Error", err, err)
	}
	if e.Code != result.CodeValidation || e.HTTPStatus() != http.StatusBadRequest {
		t.Fatalf("got %s (%d), want VALIDATION 400: %v", e.Code, e.HTTPStatus(), e)
	}
	return e.Violations
}

func TestDecodeValid(t *testing.T) {
	t.Parallel()
	o, err := decode[decOrder](t, validOrder)
	if err != nil {
		t.Fatalf("DecodeJSON = %v", err)
	}
	if o.Name != "n" || *o.Note != "x" || len(o.Items) != 1 || o.Items[0].Name != "ab" {
		t.Errorf("decoded %+v", o)
	}

	p, err := decode[*decOrder](t, validOrder)
	if err != nil || p == nil || p.Name != "n" {
		t.Fatalf("DecodeJSON[*T] = %+v, %v", p, err)
	}
}

func TestDecodeContentType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON; Charset=UTF-8", true},
		{"application/json;charset=utf8", true},
		{"application/merge-patch+json", true},
		{"application/vnd.api+json; charset=utf-8", true},
		{"", false},
		{"text/plain", false},
		{"application/x-www-form-urlencoded", false},
		{"application/json; charset=iso-8859-1", false},
		{"application/jsonx", false},
		{"application/+json", false},
		{"application/json;;", false},
		{"multipart/form-data; boundary=x", false},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			t.Parallel()
			r := jsonRequest(validOrder)
			r.Header.Set("Content-Type", tt.ct)
			_, err := DecodeJSON[decOrder](nil, r, nil)
			if tt.ok {
				if err != nil {
					t.Fatalf("DecodeJSON = %v, want nil", err)
				}
				return
			}
			e := resultAs(err)
			if e == nil || e.Code != result.CodeUnsupportedMediaType || e.HTTPStatus() != http.StatusUnsupportedMediaType {
				t.Fatalf("DecodeJSON = %v, want UNSUPPORTED_MEDIA_TYPE 415", err)
			}
			want := "application/json"
			if strings.Contains(tt.ct, "charset") {
				// The media type was right: the message must name the charset.
				want = `unsupported charset "iso-8859-1"; JSON must be UTF-8`
			}
			if !strings.Contains(e.Message, want) {
				t.Errorf("message %q does not say %q", e.Message, want)
			}
		})
	}
}

// failingBody fails the test if DecodeJSON reads it.
type failingBody struct{ t *testing.T }

func (b failingBody) Read([]byte) (int, error) {
	b.t.Error("body was read")
	return 0, io.EOF
}
func (failingBody) Close() error { return nil }

func TestDecodeBodyLimit(t *testing.T) {
	t.Parallel()
	t.Run("declared length over the limit is refused unread", func(t *testing.T) {
		t.Parallel()
		r := jsonRequest("")
		r.Body = failingBody{t}
		r.ContentLength = DefaultMaxBytes + 1
		_, err := DecodeJSON[decOrder](nil, r, nil)
		e := resultAs(err)
		if e == nil || e.Code != result.CodePayloadTooLarge || e.HTTPStatus() != 413 || e.Limit != DefaultMaxBytes {
			t.Fatalf("DecodeJSON = %#v, want PAYLOAD_TOO_LARGE 413 with limit %d", err, DefaultMaxBytes)
		}
	})
	t.Run("streamed body over the limit", func(t *testing.T) {
		t.Parallel()
		body := `{"name":"` + strings.Repeat("x", 100) + `"}`
		r := jsonRequest(body)
		r.ContentLength = -1 // chunked: the length is unknown up front
		w := httptest.NewRecorder()
		_, err := DecodeJSON[decOrder](w, r, &DecodeOptions{MaxBytes: 64})
		e := resultAs(err)
		if e == nil || e.Code != result.CodePayloadTooLarge || e.Limit != 64 {
			t.Fatalf("DecodeJSON = %v, want PAYLOAD_TOO_LARGE with limit 64", err)
		}
	})
	t.Run("body of exactly the limit", func(t *testing.T) {
		t.Parallel()
		r := jsonRequest(validOrder)
		r.ContentLength = -1
		if _, err := DecodeJSON[decOrder](nil, r, &DecodeOptions{MaxBytes: int64(len(validOrder))}); err != nil {
			t.Fatalf("DecodeJSON = %v", err)
		}
	})
	t.Run("default limit accepts a large body", func(t *testing.T) {
		t.Parallel()
		big := `{"name":"n","note":"` + strings.Repeat("y", DefaultMaxBytes-100) + `"}`
		o, err := decode[decOrder](t, big)
		if err != nil || len(*o.Note) != DefaultMaxBytes-100 {
			t.Fatalf("DecodeJSON = %v", err)
		}
	})
}

func TestDecodeEmptyBody(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]*http.Request{
		"empty":      jsonRequest(""),
		"whitespace": jsonRequest(" \r\n\t "),
		"nil body": func() *http.Request {
			r := jsonRequest("")
			r.Body = nil
			return r
		}(),
		"NoBody": func() *http.Request {
			r := jsonRequest("")
			r.Body = http.NoBody
			return r
		}(),
	} {
		_, err := DecodeJSON[decOrder](nil, r, nil)
		got := violations(t, err)
		want := []result.Violation{{Rule: "required", Message: "the request body is empty"}}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
}

func TestDecodeSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, pointer, msg string
	}{
		{"trailing comma", "{\n  \"name\": \"x\",\n  \"note\": \"y\",\n}", "",
			"the request body is not valid JSON: invalid character ',' at start of value (line 3, column 14, byte offset 30)"},
		{"column counts characters", `{"name": "héllo" x}`, "",
			"the request body is not valid JSON: invalid character 'x' after object value (expecting ',' or '}') (line 1, column 18, byte offset 18)"},
		{"truncated", `{"name":`, "/name",
			"the request body is not valid JSON: unexpected EOF (line 1, column 9, byte offset 8)"},
		{"not JSON", `name=x`, "",
			"the request body is not valid JSON: invalid character 'a' in literal null (expecting 'u') (line 1, column 2, byte offset 1)"},
		{"single quotes", `{'name': 1}`, "",
			"the request body is not valid JSON: invalid character '\\'' at start of value (line 1, column 2, byte offset 1)"},
		{"byte order mark", "\ufeff{}", "",
			"the request body is not valid JSON: invalid character '\\ufeff' at start of value (line 1, column 1, byte offset 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := decode[decOrder](t, tt.body)
			got := violations(t, err)
			want := []result.Violation{{Pointer: tt.pointer, Rule: "syntax", Message: tt.msg}}
			if !slices.Equal(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeTrailingData(t *testing.T) {
	t.Parallel()
	n := len(validOrder)
	at := func(line, col, off int) string {
		return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ", byte offset " + strconv.Itoa(off)
	}
	tests := []struct {
		body, what, pos string
	}{
		{validOrder + ` {"name":"again"}`, "a second JSON value", at(1, n+2, n+1)},
		{validOrder + "\n[]", "a second JSON value", at(2, 1, n+1)},
		{validOrder + ` garbage`, "unexpected data after the JSON value", at(1, n+2, n+1)},
		{validOrder + `}`, "unexpected data after the JSON value", at(1, n+1, n)},
	}
	for _, tt := range tests {
		_, err := decode[decOrder](t, tt.body)
		got := violations(t, err)
		want := []result.Violation{{Rule: "syntax",
			Message: "the request body must hold one JSON value, but has " + tt.what + " (" + tt.pos + ")"}}
		if !slices.Equal(got, want) {
			t.Errorf("%q:\ngot  %+v\nwant %+v", tt.body, got, want)
		}
	}
	// Trailing whitespace is fine.
	if _, err := decode[decOrder](t, validOrder+" \n\t\r\n"); err != nil {
		t.Errorf("trailing whitespace: %v", err)
	}
}

func TestDecodeUnknownFields(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, pointer string }{
		{`{"name":"n","note":"x","nmae":"typo"}`, "/nmae"},
		{`{"name":"n","note":"x","a/b":1}`, "/a~1b"},
		{`{"name":"n","note":"x","address":{"city":"c","zip":"z"}}`, "/address/zip"},
		{`{"name":"n","note":"x","items":[{"name":"ab","qty":1},{"name":"cd","qty":1,"colour":"red"}]}`, "/items/1/colour"},
		// An embedded struct's fields are promoted; its type name is no member.
		{`{"name":"n","note":"x","decMeta":{"source":"web"}}`, "/decMeta"},
		// Names match exactly: a member differing only in case is unknown.
		{`{"NAME":"n","note":"x"}`, "/NAME"},
		{`{"name":"n","Note":"x"}`, "/Note"},
		{`{"name":"n","note":"x","Source":"api"}`, "/Source"},
	}
	for _, tt := range tests {
		_, err := decode[decOrder](t, tt.body)
		want := []result.Violation{{Pointer: tt.pointer, Rule: "unknown", Message: "is not an allowed field"}}
		if got := violations(t, err); !slices.Equal(got, want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.body, got, want)
		}
	}
	// Members inside an any are data, not fields.
	if _, err := decode[decOrder](t, `{"name":"n","note":"x","extra":{"anything":"goes"}}`); err != nil {
		t.Errorf("member inside any: %v", err)
	}

	body := `{"name":"n","note":"x","nmae":"typo","address":{"city":"c","zip":"z"},"NOTE":"y"}`
	o, err := DecodeJSON[decOrder](nil, jsonRequest(body), &DecodeOptions{AllowUnknownFields: true})
	if err != nil || o.Name != "n" || *o.Note != "x" || o.Address.City != "c" {
		t.Errorf("AllowUnknownFields: %+v, %v", o, err)
	}
}

func TestDecodeTypeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, member string
		want         result.Violation
	}{
		{"string for string", `"name": 5`, result.Violation{Pointer: "/name", Rule: "type", Param: "string", Message: "must be a string"}},
		{"string for int", `"items":[{"name":"ab","qty":"3"}]`, result.Violation{Pointer: "/items/0/qty", Rule: "type", Param: "integer", Message: "must be an integer"}},
		{"fraction for int", `"items":[{"name":"ab","qty":1.5}]`, result.Violation{Pointer: "/items/0/qty", Rule: "type", Param: "integer", Message: "must be an integer"}},
		{"null in array of int", `"items":[{"name":"ab","qty":1}, 5]`, result.Violation{Pointer: "/items/1", Rule: "type", Param: "object", Message: "must be an object"}},
		{"exponent for int", `"items":[{"name":"ab","qty":1e3}]`, result.Violation{Pointer: "/items/0/qty", Rule: "type", Param: "integer", Message: "must be an integer"}},
		{"uint8 overflow", `"items":[{"name":"ab","qty":1,"price":300}]`, result.Violation{Pointer: "/items/0/price", Rule: "type", Param: "integer", Message: "must be an integer between 0 and 255"}},
		{"negative uint", `"items":[{"name":"ab","qty":1,"price":-1}]`, result.Violation{Pointer: "/items/0/price", Rule: "type", Param: "integer", Message: "must be an integer between 0 and 255"}},
		{"int64 overflow", `"big": 9223372036854775808`, result.Violation{Pointer: "/big", Rule: "type", Param: "integer", Message: "must be an integer between -9223372036854775808 and 9223372036854775807"}},
		{"huge float64", `"ratio": 1e400`, result.Violation{Pointer: "/ratio", Rule: "type", Param: "number", Message: "must be a number between -1.8e+308 and 1.8e+308"}},
		{"huge float32", `"small": -1e39`, result.Violation{Pointer: "/small", Rule: "type", Param: "number", Message: "must be a number between -3.4e+38 and 3.4e+38"}},
		{"huge number into any", `"extra": {"deep":[1, 1e400]}`, result.Violation{Pointer: "/extra/deep/1", Rule: "type", Param: "number", Message: "must be a number between -1.8e+308 and 1.8e+308"}},
		{"object for string", `"status": {}`, result.Violation{Pointer: "/status", Rule: "type", Param: "string", Message: "must be a string"}},
		{"array for object", `"address": []`, result.Violation{Pointer: "/address", Rule: "type", Param: "object", Message: "must be an object"}},
		{"object for array", `"items": {}`, result.Violation{Pointer: "/items", Rule: "type", Param: "array", Message: "must be an array"}},
		{"number for bool", `"flag": 1`, result.Violation{Pointer: "/flag", Rule: "type", Param: "boolean", Message: "must be a boolean"}},
		{"string for number in map", `"labels": {"a/b": 1}`, result.Violation{Pointer: "/labels/a~1b", Rule: "type", Param: "string", Message: "must be a string"}},
		{"bad map key", `"by_id": {"x": "y"}`, result.Violation{Pointer: "/by_id/x", Rule: "type", Param: "integer", Message: "must be an integer"}},
		{"bad time", `"when": "yesterday"`, result.Violation{Pointer: "/when", Rule: "format", Message: "must be a date and time in RFC 3339 format, such as 2006-01-02T15:04:05Z"}},
		{"number for time", `"when": 12`, result.Violation{Pointer: "/when", Rule: "format", Message: "must be a date and time in RFC 3339 format, such as 2006-01-02T15:04:05Z"}},
		{"bad base64", `"raw": "%%%"`, result.Violation{Pointer: "/raw", Rule: "type", Param: "string", Message: "must be a base64-encoded string"}},
		{"unquoted ,string", `"count": 12`, result.Violation{Pointer: "/count", Rule: "type", Param: "string", Message: "must be an integer, written as a JSON string"}},
		{"bad ,string", `"count": "twelve"`, result.Violation{Pointer: "/count", Rule: "type", Param: "integer", Message: "must be an integer"}},
		{"overflowing ,string", `"count": "1e99"`, result.Violation{Pointer: "/count", Rule: "type", Param: "integer", Message: "must be an integer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := `{"name":"n","note":"x",` + tt.member + `}`
			if strings.HasPrefix(tt.member, `"name"`) {
				body = `{"note":"x",` + tt.member + `}`
			}
			_, err := decode[decOrder](t, body)
			// Decoding stops at the first problem: the rules are not run.
			if got := violations(t, err); !slices.Equal(got, []result.Violation{tt.want}) {
				t.Errorf("body %s\ngot  %+v\nwant %+v", body, got, tt.want)
			}
		})
	}
	// Valid forms of the same members decode.
	o, err := decode[decOrder](t, `{"name":"n","note":"x","count":"12","when":"2026-01-02T15:04:05Z","raw":"aGk=","by_id":{"-3":"y"},"extra":{"a":[1,"b",null,true]},"whatever":[1,{"x":2}]}`)
	if err != nil {
		t.Fatalf("valid special members: %v", err)
	}
	if o.Count != 12 || string(o.Raw) != "hi" || o.ByID[-3] != "y" || string(o.Whatever) != `[1,{"x":2}]` {
		t.Errorf("decoded %+v", o)
	}
}

func TestDecodeAllProblemsAtOnce(t *testing.T) {
	t.Parallel()
	// A body that decodes: every broken rule is reported, in one error.
	body := `{"name":"","status":"shipped","note":"x",
	  "items":[{"name":"a","qty":1},{"name":"ok","qty":0}],
	  "labels":{"k":"toolong"}}`
	_, err := decode[decOrder](t, body)
	var ptrs []string
	for _, v := range violations(t, err) {
		ptrs = append(ptrs, v.Pointer+" "+v.Rule)
	}
	want := []string{"/name required", "/status oneof", "/items/0/name min", "/items/1/qty gte", "/labels/k max"}
	if !slices.Equal(ptrs, want) {
		t.Errorf("got  %q\nwant %q", ptrs, want)
	}
	if e := resultAs(err); e.Message != "the request has 5 invalid fields" {
		t.Errorf("message %q", e.Message)
	}
	// A body that does not decode: its first problem alone, and no rule
	// runs on a partly decoded value.
	_, err = decode[decOrder](t, `{"name":"","bogus":1,"items":[{"qty":"two"}]} {"again":true}`)
	if got := violations(t, err); len(got) != 1 || got[0].Pointer != "/bogus" || got[0].Rule != "unknown" {
		t.Errorf("got %+v, want the unknown member alone", got)
	}
}

func TestDecodeInvalidUTF8(t *testing.T) {
	t.Parallel()
	body := "{\"name\":\"ok\",\n\"note\":\"caf\xe9\"}"
	_, err := decode[decOrder](t, body)
	got := violations(t, err)
	want := []result.Violation{{Rule: "utf8", Message: "the request body is not valid UTF-8 (line 2, column 12, byte offset 25)"}}
	if !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// After a valid U+FFFD, in a key, after another problem: it is the one reported.
	_, err = decode[decOrder](t, "{\"name\":\"\ufffd\",\"note\":\"x\xff\"}")
	want = []result.Violation{{Rule: "utf8", Message: "the request body is not valid UTF-8 (line 1, column 22, byte offset 23)"}}
	if got := violations(t, err); !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// Invalid UTF-8 in a key, after another problem: it is the one reported.
	_, err = decode[decOrder](t, "{\"name\":1,\"\xff\":2,\"note\":\"x\"}")
	want = []result.Violation{{Rule: "utf8", Message: "the request body is not valid UTF-8 (line 1, column 12, byte offset 11)"}}
	if got := violations(t, err); !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestDecodeReturnsZeroOnError(t *testing.T) {
	t.Parallel()
	o, err := decode[decOrder](t, `{"name":"n","note":"x","ratio":"high"}`)
	if err == nil || o.Name != "" || o.Note != nil {
		t.Errorf("got %+v, %v; want the zero value and an error", o, err)
	}
	p, err := decode[*decOrder](t, `{"name":""}`)
	if err == nil || p != nil {
		t.Errorf("got %+v, %v; want nil and an error", p, err)
	}
}

func TestDecodeDuplicateNames(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, pointer string }{
		{`{"name":"first","name":"second","note":"x"}`, "/name"},
		{`{"name":"n","note":"x","items":[{"name":"ab","qty":1,"qty":2}]}`, "/items/0/qty"},
		{`{"name":"n","note":"x","labels":{"a":"1","a":"2"}}`, "/labels/a"},
		{`{"name":"n","note":"x","extra":{"a":{"b":1,"b":1}}}`, "/extra/a/b"},
		// Escapes do not hide a duplicate.
		{`{"name":"n","n\u0061me":"m","note":"x"}`, "/name"},
	}
	for _, tt := range tests {
		_, err := decode[decOrder](t, tt.body)
		want := []result.Violation{{Pointer: tt.pointer, Rule: "duplicate", Message: "must appear only once in its object"}}
		if got := violations(t, err); !slices.Equal(got, want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.body, got, want)
		}
	}
	// Even with unknown members allowed.
	_, err := DecodeJSON[decOrder](nil, jsonRequest(`{"name":"n","note":"x","zz":1,"zz":2}`), &DecodeOptions{AllowUnknownFields: true})
	if got := violations(t, err); len(got) != 1 || got[0].Pointer != "/zz" || got[0].Rule != "duplicate" {
		t.Errorf("duplicate unknown member: %+v", got)
	}
}

func TestDecodeNulls(t *testing.T) {
	t.Parallel()
	// null leaves a non-pointer at its zero value: required reports it.
	_, err := decode[decOrder](t, `{"name":null,"note":"x"}`)
	if got := violations(t, err); len(got) != 1 || got[0].Pointer != "/name" || got[0].Rule != "required" {
		t.Errorf("null name: %+v", got)
	}
	// null sets a pointer to nil: required reports it.
	_, err = decode[decOrder](t, `{"name":"n","note":null}`)
	if got := violations(t, err); len(got) != 1 || got[0].Pointer != "/note" || got[0].Rule != "required" {
		t.Errorf("null note: %+v", got)
	}
	// null is fine where nothing is required, even in typed members.
	o, err := decode[decOrder](t, `{"name":"n","note":"x","items":null,"address":null,"ratio":null,"flag":null,"when":null,"count":null,"by_id":null}`)
	if err != nil || o.Items != nil || o.Address != nil {
		t.Errorf("nulls: %+v, %v", o, err)
	}
	// A top-level null is not an object.
	for _, body := range []string{`null`, ` null `} {
		_, err := decode[decOrder](t, body)
		want := []result.Violation{{Rule: "type", Param: "object", Message: "must be an object"}}
		if got := violations(t, err); !slices.Equal(got, want) {
			t.Errorf("%q into a struct: %+v", body, got)
		}
		_, err = decode[*decOrder](t, body)
		if got := violations(t, err); !slices.Equal(got, want) {
			t.Errorf("%q into a pointer: %+v", body, got)
		}
	}
	// For other types null is a value.
	if m, err := decode[map[string]int](t, `null`); err != nil || m != nil {
		t.Errorf("null map: %v, %v", m, err)
	}
}

func TestDecodeDeepNesting(t *testing.T) {
	t.Parallel()
	const depth = 5000
	// Deep but within json/v2's limit, with a problem at the bottom.
	body := `{"name":"n","note":"x","extra":` + strings.Repeat("[", depth) + "1e400" + strings.Repeat("]", depth) + "}"
	_, err := decode[decOrder](t, body)
	got := violations(t, err)
	if len(got) != 1 || got[0].Pointer != "/extra"+strings.Repeat("/0", depth) {
		t.Errorf("got %d violations, first at %.40q", len(got), got[0].Pointer)
	}
	// Deep and valid.
	body = strings.Repeat("[", depth) + strings.Repeat("]", depth)
	if _, err := decode[any](t, body); err != nil {
		t.Errorf("deep valid array: %v", err)
	}
	// Deeper than json/v2 allows.
	for _, body := range []string{strings.Repeat("[", 10001), strings.Repeat(`{"a":`, 10001)} {
		_, err := decode[any](t, body)
		if got := violations(t, err); len(got) != 1 || got[0].Rule != "syntax" || !strings.Contains(got[0].Message, "exceeded max depth") {
			t.Errorf("too deep: %.200v", got)
		}
	}
}

func TestDecodeNonStructTargets(t *testing.T) {
	t.Parallel()
	items, err := decode[[]decItem](t, `[{"name":"","qty":0}]`)
	if err != nil || len(items) != 1 {
		t.Errorf("slices are decoded, not validated: %v, %v", items, err)
	}
	_, err = decode[[]decItem](t, `[{"name":"ab","qty":"x"}]`)
	if got := violations(t, err); len(got) != 1 || got[0].Pointer != "/0/qty" {
		t.Errorf("type error in a slice: %+v", got)
	}
	if v, err := decode[any](t, `{"a":[1,2]}`); err != nil || !reflect.DeepEqual(v, map[string]any{"a": []any{1.0, 2.0}}) {
		t.Errorf("any: %v, %v", v, err)
	}
	if n, err := decode[int](t, `42`); err != nil || n != 42 {
		t.Errorf("int: %v, %v", n, err)
	}
	_, err = decode[int](t, `"42"`)
	if got := violations(t, err); len(got) != 1 || got[0].Pointer != "" || got[0].Message != "must be an integer" {
		t.Errorf("top-level type error: %+v", got)
	}
	if ts, err := decode[time.Time](t, `"2026-01-02T15:04:05Z"`); err != nil || ts.Year() != 2026 {
		t.Errorf("time.Time is decoded, not validated as a struct: %v, %v", ts, err)
	}
}

func TestDecodeWithValidator(t *testing.T) {
	t.Parallel()
	v := New(&Options{Messages: map[string]MessageFunc{"required": Message("cannot be blank")}})
	err := v.RegisterRule("sku", func(fl validator.FieldLevel) bool {
		return strings.HasPrefix(fl.Field().String(), "SKU-")
	}, Message("must be a SKU such as SKU-123"))
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		SKU  string `json:"sku" validate:"sku"`
		Name string `json:"name" validate:"required"`
	}
	_, err = DecodeJSON[line](nil, jsonRequest(`{"sku":"123"}`), &DecodeOptions{Validator: v})
	want := []result.Violation{
		{Pointer: "/sku", Rule: "sku", Message: "must be a SKU such as SKU-123"},
		{Pointer: "/name", Rule: "required", Message: "cannot be blank"},
	}
	if got := violations(t, err); !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// errBody fails every read with err.
type errBody struct{ err error }

func (b errBody) Read([]byte) (int, error) { return 0, b.err }
func (errBody) Close() error               { return nil }

func TestDecodeReadErrors(t *testing.T) {
	t.Parallel()
	r := jsonRequest("")
	r.Body = errBody{errors.New("connection reset by peer")}
	_, err := DecodeJSON[decOrder](nil, r, nil)
	got := violations(t, err)
	if len(got) != 1 || got[0].Rule != "read" || strings.Contains(got[0].Message, "reset") {
		t.Errorf("read error: %+v", got)
	}
	if !strings.Contains(err.Error(), "connection reset by peer") {
		t.Errorf("cause not kept for logs: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = jsonRequest("").WithContext(ctx)
	r.Body = errBody{context.Canceled}
	_, err = DecodeJSON[decOrder](nil, r, nil)
	if result.CodeOf(err) != result.CodeCanceled {
		t.Errorf("canceled request: %v, want CANCELED", err)
	}
}

type panicky struct{}

func (*panicky) UnmarshalJSON([]byte) error { panic("boom") }

func TestDecodeBugsAreErrorsNotPanics(t *testing.T) {
	t.Parallel()
	if _, err := DecodeJSON[decOrder](nil, nil, nil); err == nil || resultAs(err) != nil {
		t.Errorf("nil request: %v, want a plain error", err)
	}
	type withPanic struct {
		P panicky `json:"p"`
	}
	_, err := decode[withPanic](t, `{"p":1}`)
	if err == nil || resultAs(err) != nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("panicking UnmarshalJSON: %v, want a plain error", err)
	}
	type badTag struct {
		A string `json:"a" validate:"no_such_rule"`
	}
	_, err = decode[badTag](t, `{"a":"x"}`)
	if err == nil || resultAs(err) != nil {
		t.Errorf("bad tag: %v, want a plain error", err)
	}
	// Types json/v2 refuses, whatever the body.
	type malformed struct {
		//lint:ignore SA5008 a tag json/v2 refuses is what this tests
		A string `json:"a'b"`
	}
	type inner struct{ M malformed }
	type stringBool struct {
		B bool `json:"b,string"`
	}
	type withDuration struct {
		D time.Duration `json:"d"`
	}
	if _, err := decode[withDuration](t, `{}`); err != nil {
		t.Errorf("a time.Duration not sent: %v", err)
	}
	for name, err := range map[string]error{
		"malformed json tag":        func() error { _, err := decode[malformed](t, `{}`); return err }(),
		"nested malformed json tag": func() error { _, err := decode[[]inner](t, `[{"M":{}}]`); return err }(),
		"string option on a bool":   func() error { _, err := decode[stringBool](t, `{"b":"true"}`); return err }(),
		"time.Duration":             func() error { _, err := decode[withDuration](t, `{"d":1}`); return err }(),
	} {
		if err == nil || resultAs(err) != nil || !strings.Contains(err.Error(), "validate: DecodeJSON") {
			t.Errorf("%s: %v, want a plain error", name, err)
		}
	}
}

type clientSafe struct{}

func (*clientSafe) UnmarshalJSON(b []byte) error {
	if string(b) != `"ok"` {
		return result.Validation().WithMessage(`must be "ok"`)
	}
	return nil
}

type opaque struct{}

func (*opaque) UnmarshalText(b []byte) error {
	return errors.New("secret internal detail")
}

func TestDecodeCustomUnmarshalers(t *testing.T) {
	t.Parallel()
	type form struct {
		Safe   clientSafe         `json:"safe"`
		Opaque *opaque            `json:"opaque"`
		Keys   map[opaqueKey]int  `json:"keys"`
		List   []clientSafe       `json:"list"`
		Text   map[string]*opaque `json:"text"`
	}
	tests := []struct {
		body string
		want result.Violation
	}{
		{`{"safe":"no"}`, result.Violation{Pointer: "/safe", Rule: "format", Message: `must be "ok"`}},
		{`{"opaque":"x"}`, result.Violation{Pointer: "/opaque", Rule: "format", Message: "is not a valid value"}},
		{`{"keys":{"k":1}}`, result.Violation{Pointer: "/keys/k", Rule: "format", Message: "is not a valid value"}},
		{`{"list":["ok","bad"]}`, result.Violation{Pointer: "/list/1", Rule: "format", Message: `must be "ok"`}},
		{`{"text":{"a":5}}`, result.Violation{Pointer: "/text/a", Rule: "format", Message: "is not a valid value"}},
	}
	for _, tt := range tests {
		_, err := decode[form](t, tt.body)
		if got := violations(t, err); !slices.Equal(got, []result.Violation{tt.want}) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", tt.body, got, tt.want)
		}
		if strings.Contains(problemBody(t, err), "secret") {
			t.Errorf("%s: an unmarshaler's error text reached the client", tt.body)
		}
	}
}

type opaqueKey string

func (*opaqueKey) UnmarshalText([]byte) error { return errors.New("no") }

// problemBody renders err as a client gets it.
func problemBody(t *testing.T, err error) string {
	t.Helper()
	w := httptest.NewRecorder()
	result.WriteProblem(w, httptest.NewRequest(http.MethodPost, "/orders", nil), err)
	return w.Body.String()
}

func TestDecodeRendersAsProblem(t *testing.T) {
	t.Parallel()
	h := result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		o, err := DecodeJSON[decOrder](w, r, nil)
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, o.Name)
		return nil
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, jsonRequest(`{"name":"","note":"x","items":[{"name":"a","qty":0}],"extra":1}`))
	if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != result.ContentTypeProblem {
		t.Fatalf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var p struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
		Detail string `json:"detail"`
		Errors []struct {
			Pointer string `json:"pointer"`
			Rule    string `json:"rule"`
			Param   string `json:"param"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %s: %v", w.Body, err)
	}
	if p.Status != 400 || p.Code != "VALIDATION" || p.Detail != "the request has 3 invalid fields" || len(p.Errors) != 3 {
		t.Fatalf("problem %+v", p)
	}
	want := [][4]string{
		{"/name", "required", "", "is required"},
		{"/items/0/name", "min", "2", "must be at least 2 characters"},
		{"/items/0/qty", "gte", "1", "must be at least 1"},
	}
	for i, e := range p.Errors {
		if got := [4]string{e.Pointer, e.Rule, e.Param, e.Message}; got != want[i] {
			t.Errorf("errors[%d] = %q, want %q", i, got, want[i])
		}
	}
	for _, leak := range []string{"decOrder", "Name", "Items", "validate"} {
		if strings.Contains(w.Body.String(), leak) {
			t.Errorf("problem body leaks %q: %s", leak, w.Body)
		}
	}

	w = httptest.NewRecorder()
	h.ServeHTTP(w, jsonRequest(validOrder))
	if w.Code != http.StatusCreated || w.Body.String() != "n" {
		t.Errorf("valid request: %d %s", w.Code, w.Body)
	}
}

func TestDecodeMaxViolations(t *testing.T) {
	t.Parallel()
	body := `{"name":"n","note":"x","items":[` + strings.Repeat(`{"qty":0},`, MaxViolations) + `{"qty":0}]}`
	_, err := decode[decOrder](t, body)
	if got := violations(t, err); len(got) != MaxViolations {
		t.Errorf("got %d violations, want %d", len(got), MaxViolations)
	}
}

type decHiddenMeta struct {
	Rev int `json:"rev"`
}

func TestDecodeEmbeddedPointerToUnexportedStruct(t *testing.T) {
	t.Parallel()
	type form struct {
		*decHiddenMeta
		Name string `json:"name"`
	}
	// json/v2 cannot set rev: a type DecodeJSON cannot fill is a bug.
	_, err := decode[form](t, `{"name":"x","rev":1}`)
	if err == nil || resultAs(err) != nil || !strings.Contains(err.Error(), "/rev") {
		t.Errorf("got %v, want a plain error naming /rev", err)
	}
	if f, err := decode[form](t, `{"name":"x"}`); err != nil || f.Name != "x" {
		t.Errorf("without rev: %+v, %v", f, err)
	}
}

type eofUnmarshaler struct{}

func (*eofUnmarshaler) UnmarshalJSON([]byte) error { return io.ErrUnexpectedEOF }

type syntaxUnmarshaler struct{}

func (*syntaxUnmarshaler) UnmarshalJSON(b []byte) error {
	var v any
	return json.Unmarshal(b[1:], &v) // a syntax error of its own
}

// TestDecodeUnmarshalerErrorsAreNotSyntax checks that a custom
// UnmarshalJSON failing with an error that looks like the decoder's own is
// reported at its member, not as a broken body.
func TestDecodeUnmarshalerErrorsAreNotSyntax(t *testing.T) {
	t.Parallel()
	type form struct {
		E eofUnmarshaler    `json:"e"`
		S syntaxUnmarshaler `json:"s"`
	}
	for _, body := range []string{`{"e":1}`, `{"s":[1]}`, `{"s":"x","e":2}`} {
		_, err := decode[form](t, body)
		got := violations(t, err)
		if len(got) == 0 || got[0].Rule != "format" || got[0].Pointer == "" {
			t.Errorf("%s: %+v, want a format violation at the member", body, got)
		}
	}
}
