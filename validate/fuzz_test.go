package validate

import (
	"bytes"
	jsonv1 "encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/hardenkit/harden/result"
)

// fuzzTarget exercises every kind of value json/v2 decodes.
type fuzzTarget struct {
	fuzzEmbedded
	*FuzzMeta
	Name    string              `json:"name" validate:"required,min=2,max=20"`
	Email   string              `json:"email" validate:"omitempty,email"`
	Age     uint8               `json:"age" validate:"lte=150"`
	Score   float32             `json:"score"`
	Big     int64               `json:"big"`
	Ratio   *float64            `json:"ratio"`
	OK      bool                `json:"ok"`
	Tags    []string            `json:"tags" validate:"max=5,dive,min=1"`
	Pair    [2]int              `json:"pair"`
	Labels  map[string]string   `json:"labels" validate:"dive,keys,min=1,endkeys,required"`
	ByID    map[int]fuzzChild   `json:"by_id" validate:"dive"`
	ByUint  map[uint16]bool     `json:"by_uint"`
	Kids    []*fuzzChild        `json:"kids" validate:"dive"`
	Any     any                 `json:"any"`
	Obj     map[string]any      `json:"obj"`
	When    time.Time           `json:"when"`
	Addr    netip.Addr          `json:"addr"`
	Raw     jsontext.Value      `json:"raw"`
	Legacy  jsonv1.RawMessage   `json:"legacy"`
	Bytes   []byte              `json:"bytes"`
	Quoted  int                 `json:"quoted,string"`
	QFloat  float64             `json:"qfloat,string"`
	Zero    int                 `json:"zero,omitzero"`
	Status  string              `json:"status" validate:"omitempty,oneof=draft published"`
	Ignored string              `json:"-"`
	Nested  struct{ X *string } `json:"nested"`
}

type fuzzEmbedded struct {
	ID string `json:"id" validate:"omitempty,uuid"`
}

// FuzzMeta is exported: json/v2 cannot allocate an embedded pointer to an
// unexported struct.
type FuzzMeta struct {
	Rev int `json:"rev" validate:"gte=0"`
}

type fuzzChild struct {
	Name string         `json:"name" validate:"required"`
	Kids []fuzzChild    `json:"kids" validate:"dive"`
	Meta map[string]int `json:"meta"`
}

func fuzzSeeds() [][2]string {
	return [][2]string{
		{`{"name":"ok"}`, "application/json"},
		{`{"name":"ok","email":"a@b.co","age":30,"score":1.5,"big":-9,"ratio":null,"ok":true}`, "application/json; charset=utf-8"},
		{`{"name":"ok","tags":["a","b"],"pair":[1,2,3],"labels":{"k":"v"},"by_id":{"1":{"name":"x"}},"by_uint":{"7":true}}`, "application/json"},
		{`{"name":"ok","kids":[{"name":"a","kids":[{"name":"b"}]},null],"any":[1,"x",{"y":null}],"obj":{"a":1e3}}`, "application/merge-patch+json"},
		{`{"name":"ok","when":"2026-01-02T15:04:05Z","addr":"::1","num":"1.5","raw":{"x":[1]},"legacy":[2],"bytes":"aGk=","zero":0}`, "application/json"},
		{`{"name":"ok","quoted":"12","qfloat":"1.5","status":"draft","id":"0b6e8a1c-8a5b-4c1e-9f62-3d7c2b1a0e4f","rev":1}`, "application/json"},
		{`{"name":1,"age":300,"big":1e400,"score":1e39,"tags":"x","by_id":{"x":{}},"by_uint":{"-1":true}}`, "application/json"},
		{`{"name":"ok","when":"never","addr":"nope","bytes":"%%","quoted":12,"qfloat":"x"}`, "application/json"},
		{`{"name":"ok","unknown":{"deep":[1,2]},"Nested":{"X":"y","Z":1}}`, "application/json"},
		{`{"name":"ok"} {"name":"again"}`, "application/json"},
		{`{"name":"ok"} trailing`, "application/json"},
		{`{"name":`, "application/json"},
		{``, "application/json"},
		{`null`, "application/json"},
		{`[]`, "application/json"},
		{"{\"name\":\"caf\xe9\"}", "application/json"},
		{strings.Repeat("[", 10001), "application/json"},
		{`{"any":` + strings.Repeat(`{"a":`, 200) + `1e999` + strings.Repeat("}", 200) + `}`, "application/json"},
		{`{"name":"a","name":"bb"}`, "application/json"},
		{`{"kids":[{"name":"a","kids":[{"name":"b","name":"c"}]}]}`, "application/json"},
		{`{"NAME":"ok","Email":"a@b.co"}`, "application/json"},
		{`{"name":"ok"}`, "text/plain"},
		{`{"name":"ok"}`, ""},
		{`{"name":"ok"}`, "application/json; charset=latin1"},
		{`{"name":"ok"}`, "application/json;;;"},
	}
}

// FuzzDecodeJSON checks that any body with any Content-Type gives either a
// value or a *result.Error with a 4xx status, never a panic and never
// INTERNAL, and that what DecodeJSON accepts, json/v2 decodes to the same
// value with the same strictness.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s[0]), s[1])
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		v, err := DecodeJSON[fuzzTarget](httptest.NewRecorder(), r, &DecodeOptions{MaxBytes: 64 << 10})
		checkOutcome(t, body, err)
		if err == nil {
			var want fuzzTarget
			if derr := json.Unmarshal(body, &want, json.RejectUnknownMembers(true)); derr != nil {
				t.Fatalf("DecodeJSON accepted %q, json/v2: %v", body, derr)
			}
			if !reflect.DeepEqual(v, want) {
				t.Fatalf("DecodeJSON decoded %+v, json/v2 %+v", v, want)
			}
		}

		// The same body as another type and without validation.
		r = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		_, err = DecodeJSON[[]map[string]*fuzzChild](nil, r, nil)
		checkOutcome(t, body, err)
	})
}

func checkOutcome(t *testing.T, body []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e := resultAs(err)
	if e == nil {
		t.Fatalf("body %q: plain error %v", body, err)
	}
	if s := e.HTTPStatus(); s < 400 || s > 499 || e.Code == result.CodeInternal {
		t.Fatalf("body %q: %s (%d)", body, e.Code, s)
	}
	if e.Code == result.CodeValidation && len(e.Violations) == 0 {
		t.Fatalf("body %q: VALIDATION without violations", body)
	}
	if len(e.Violations) > MaxViolations {
		t.Fatalf("body %q: %d violations", body, len(e.Violations))
	}
}
