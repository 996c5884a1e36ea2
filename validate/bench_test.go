package validate

import (
	"bytes"
	jsonv1 "encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-playground/validator/v10"
)

// benchOrder is a realistic request: about 1 KiB of JSON (1,012 bytes)
// with nested structs, a slice of items and a map.
type benchOrder struct {
	ID       string            `json:"id" validate:"required,uuid4"`
	Status   string            `json:"status" validate:"required,oneof=draft published archived"`
	Customer benchCustomer     `json:"customer" validate:"required"`
	Items    []benchItem       `json:"items" validate:"required,min=1,max=50,dive"`
	Labels   map[string]string `json:"labels" validate:"max=10,dive,keys,min=1,max=32,endkeys,max=64"`
	Note     string            `json:"note" validate:"max=500"`
	Priority int               `json:"priority" validate:"gte=0,lte=5"`
}

type benchCustomer struct {
	Name    string       `json:"name" validate:"required,min=2,max=100"`
	Email   string       `json:"email" validate:"required,email"`
	Phone   string       `json:"phone" validate:"omitempty,e164"`
	Address benchAddress `json:"address" validate:"required"`
}

type benchAddress struct {
	Street  string `json:"street" validate:"required"`
	City    string `json:"city" validate:"required"`
	Zip     string `json:"zip" validate:"required,alphanum,max=10"`
	Country string `json:"country" validate:"required,iso3166_1_alpha2"`
}

type benchItem struct {
	SKU      string  `json:"sku" validate:"required,alphanum,len=8"`
	Name     string  `json:"name" validate:"required,min=3"`
	Quantity int     `json:"quantity" validate:"gte=1,lte=1000"`
	Price    float64 `json:"price" validate:"gt=0"`
}

var benchValid = []byte(`{
  "id": "0b6e8a1c-8a5b-4c1e-9f62-3d7c2b1a0e4f",
  "status": "published",
  "customer": {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+442071234567",
    "address": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y4JH", "country": "GB"}
  },
  "items": [
    {"sku": "AB12CD34", "name": "Analytical engine gear", "quantity": 3, "price": 19.99},
    {"sku": "EF56GH78", "name": "Punched card (pack of 100)", "quantity": 10, "price": 4.5},
    {"sku": "IJ90KL12", "name": "Brass column", "quantity": 1, "price": 120},
    {"sku": "MN34OP56", "name": "Difference table", "quantity": 2, "price": 35.25},
    {"sku": "QR78ST90", "name": "Store unit", "quantity": 1, "price": 999.99},
    {"sku": "UV12WX34", "name": "Mill crank, left-handed", "quantity": 4, "price": 12.75}
  ],
  "labels": {"channel": "web", "campaign": "spring-sale", "region": "eu-west"},
  "note": "Please deliver to the reception desk between nine and five; ring the bell twice.",
  "priority": 2
}`)

// benchInvalid has exactly 10 violations.
var benchInvalid = []byte(`{
  "id": "not-a-uuid",
  "status": "shipped",
  "customer": {
    "name": "A",
    "email": "ada-at-example.com",
    "phone": "07123",
    "address": {"street": "12 St James's Square", "city": "", "zip": "SW1Y 4JH", "country": "GB"}
  },
  "items": [
    {"sku": "AB12CD34", "name": "Gear", "quantity": 0, "price": 19.99},
    {"sku": "EF56", "name": "Punched card (pack of 100)", "quantity": 10, "price": -1}
  ],
  "labels": {"channel": "web"},
  "priority": 2
}`)

// reusableBody lets a benchmark reuse one request body without allocating.
type reusableBody struct{ bytes.Reader }

func (*reusableBody) Close() error { return nil }

func benchRequest(body []byte) (*http.Request, *reusableBody) {
	r := httptest.NewRequest(http.MethodPost, "/orders", nil)
	r.Header.Set("Content-Type", "application/json")
	rb := &reusableBody{}
	rb.Reset(body)
	r.Body = rb
	r.ContentLength = int64(len(body))
	return r, rb
}

// byHandV1 and byHandV2 decode and validate the way a handler does
// without this package: the body decoded with encoding/json or json/v2,
// unknown members rejected, then validator.Struct.
func byHandV1(v *validator.Validate, r *http.Request) error {
	var o benchOrder
	dec := jsonv1.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return err
	}
	return v.Struct(&o)
}

func byHandV2(v *validator.Validate, r *http.Request) error {
	var o benchOrder
	if err := json.UnmarshalRead(r.Body, &o, json.RejectUnknownMembers(true)); err != nil {
		return err
	}
	return v.Struct(&o)
}

func BenchmarkDecodeValid(b *testing.B) {
	v := validator.New(validator.WithRequiredStructEnabled())
	w := httptest.NewRecorder()
	r, rb := benchRequest(benchValid)
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"encoding-json+validator", func() error { return byHandV1(v, r) }},
		{"json-v2+validator", func() error { return byHandV2(v, r) }},
		{"DecodeJSON", func() error { _, err := DecodeJSON[benchOrder](w, r, nil); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(benchValid)))
			b.ReportAllocs()
			for b.Loop() {
				rb.Reset(benchValid)
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeValidRatio interleaves DecodeJSON with json/v2 and with
// encoding/json, each followed by validator.Struct, one call of each per
// iteration, so that all see the same machine load, and reports the ratios.
func BenchmarkDecodeValidRatio(b *testing.B) {
	v := validator.New(validator.WithRequiredStructEnabled())
	w := httptest.NewRecorder()
	r, rb := benchRequest(benchValid)
	var v1, v2, ours time.Duration
	timed := func(total *time.Duration, run func() error) {
		rb.Reset(benchValid)
		start := time.Now()
		if err := run(); err != nil {
			b.Fatal(err)
		}
		*total += time.Since(start)
	}
	for b.Loop() {
		timed(&v2, func() error { return byHandV2(v, r) })
		timed(&ours, func() error { _, err := DecodeJSON[benchOrder](w, r, nil); return err })
		timed(&v1, func() error { return byHandV1(v, r) })
	}
	b.ReportMetric(float64(ours)/float64(v2), "ratio-json-v2")
	b.ReportMetric(float64(ours)/float64(v1), "ratio-encoding-json")
}

func BenchmarkDecodeTenViolations(b *testing.B) {
	w := httptest.NewRecorder()
	r, rb := benchRequest(benchInvalid)
	b.ReportAllocs()
	for b.Loop() {
		rb.Reset(benchInvalid)
		_, err := DecodeJSON[benchOrder](w, r, nil)
		if e := resultAs(err); e == nil || len(e.Violations) != 10 {
			b.Fatalf("got %v, want 10 violations", err)
		}
	}
}

// BenchmarkMapFailures is a hostile body's worst case for pointers: a map
// of 50,000 members that all fail, of which MaxViolations are reported.
func BenchmarkMapFailures(b *testing.B) {
	type form struct {
		ByName map[string]int `json:"by_name" validate:"dive,gt=0"`
		ByID   map[int]int    `json:"by_id" validate:"dive,gt=0"`
	}
	for name, f := range map[string]form{"string-keys": {ByName: map[string]int{}}, "int-keys": {ByID: map[int]int{}}} {
		for i := range 50_000 {
			if f.ByName != nil {
				f.ByName["key"+strconv.Itoa(i)] = 0
			} else {
				f.ByID[i] = 0
			}
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if e := resultAs(Struct(f)); e == nil || len(e.Violations) != MaxViolations {
					b.Fatalf("got %v, want %d violations", e, MaxViolations)
				}
			}
		})
	}
}
