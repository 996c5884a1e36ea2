package validatebench

import (
	"bytes"
	"net/http"
	"net/http/httptest"
)

// order is a realistic request: about 1 KiB of JSON with nested structs,
// a slice of items and a map.
type order struct {
	ID       string            `json:"id" validate:"required,uuid4"`
	Status   string            `json:"status" validate:"required,oneof=draft published archived"`
	Customer customer          `json:"customer" validate:"required"`
	Items    []item            `json:"items" validate:"required,min=1,max=50,dive"`
	Labels   map[string]string `json:"labels" validate:"max=10,dive,keys,min=1,max=32,endkeys,max=64"`
	Note     string            `json:"note" validate:"max=500"`
	Priority int               `json:"priority" validate:"gte=0,lte=5"`
}

type customer struct {
	Name    string  `json:"name" validate:"required,min=2,max=100"`
	Email   string  `json:"email" validate:"required,email"`
	Phone   string  `json:"phone" validate:"omitempty,e164"`
	Address address `json:"address" validate:"required"`
}

type address struct {
	Street  string `json:"street" validate:"required"`
	City    string `json:"city" validate:"required"`
	Zip     string `json:"zip" validate:"required,alphanum,max=10"`
	Country string `json:"country" validate:"required,iso3166_1_alpha2"`
}

type item struct {
	SKU      string  `json:"sku" validate:"required,alphanum,len=8"`
	Name     string  `json:"name" validate:"required,min=3"`
	Quantity int     `json:"quantity" validate:"gte=1,lte=1000"`
	Price    float64 `json:"price" validate:"gt=0"`
}

var validBody = []byte(`{
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

// invalidBody breaks exactly ten rules; its JSON is well formed.
var invalidBody = []byte(`{
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

// body is a request body that can be rewound without allocating, so the
// benchmarks measure decoding rather than building requests.
type body struct{ bytes.Reader }

func (*body) Close() error { return nil }

func request(data []byte) (*http.Request, *body) {
	r := httptest.NewRequest(http.MethodPost, "/orders", nil)
	r.Header.Set("Content-Type", "application/json")
	b := &body{}
	b.Reset(data)
	r.Body = b
	r.ContentLength = int64(len(data))
	return r, b
}
