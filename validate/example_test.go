package validate_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/validate"
)

type orderItem struct {
	SKU      string `json:"sku" validate:"required,alphanum,len=8"`
	Quantity int    `json:"quantity" validate:"gte=1,lte=100"`
}

type createOrder struct {
	Customer string      `json:"customer" validate:"required,email"`
	Status   string      `json:"status" validate:"oneof=draft published"`
	Items    []orderItem `json:"items" validate:"required,max=50,dive"`
}

// printProblem prints a problem response body, indented.
func printProblem(w *httptest.ResponseRecorder) {
	var out bytes.Buffer
	_ = json.Indent(&out, w.Body.Bytes(), "", "  ")
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(out.String())
}

func ExampleDecodeJSON() {
	h := result.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		order, err := validate.DecodeJSON[createOrder](w, r, nil)
		if err != nil {
			return err // written as an application/problem+json response
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%d items for %s", len(order.Items), order.Customer)
		return nil
	})

	body := `{"customer": "ada@example", "status": "shipped",
	          "items": [{"sku": "AB12CD34", "quantity": 0}]}`
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	printProblem(w)
	// Output:
	// 400 application/problem+json
	// {
	//   "type": "tag:hardenkit.dev,2026:problem/validation",
	//   "title": "Invalid request",
	//   "status": 400,
	//   "detail": "the request has 3 invalid fields",
	//   "instance": "/orders",
	//   "code": "VALIDATION",
	//   "errors": [
	//     {
	//       "pointer": "/customer",
	//       "rule": "email",
	//       "message": "must be a valid email address"
	//     },
	//     {
	//       "pointer": "/status",
	//       "rule": "oneof",
	//       "param": "draft published",
	//       "message": "must be one of: draft published"
	//     },
	//     {
	//       "pointer": "/items/0/quantity",
	//       "rule": "gte",
	//       "param": "1",
	//       "message": "must be at least 1"
	//     }
	//   ]
	// }
}

func ExampleDecodeJSON_badBodies() {
	for _, tc := range []struct{ contentType, body string }{
		{"text/plain", `{}`},
		{"application/json", ``},
		{"application/json", "{\n  \"customer\": \"ada@example.com\",\n  \"items\": [}\n}"},
		{"application/json", `{"customer": "ada@example.com", "status": "draft", "items": [{"sku": "AB12CD34", "quantity": "2"}]}`},
		{"application/json", `{"customer": "ada@example.com", "status": "draft", "items": [{"sku": "AB12CD34", "quantity": 2}]} {}`},
		{"application/json", `{"customer": "ada@example.com", "customer": "eve@example.com", "items": []}`},
		{"application/json", `{"Customer": "ada@example.com", "status": "draft", "items": []}`},
		{"application/json", `{"customer": "ada@example.com", "coupon": "SPRING", "items": []}`},
	} {
		r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(tc.body))
		r.Header.Set("Content-Type", tc.contentType)
		_, err := validate.DecodeJSON[createOrder](nil, r, nil)
		if e, ok := errors.AsType[*result.Error](err); ok {
			fmt.Println(e.HTTPStatus(), e.Code, e.Message)
			for _, v := range e.Violations {
				fmt.Printf("  %q %s: %s\n", v.Pointer, v.Rule, v.Message)
			}
		}
	}
	// Output:
	// 415 UNSUPPORTED_MEDIA_TYPE unsupported media type "text/plain"; use application/json
	// 400 VALIDATION the request has 1 invalid field
	//   "" required: the request body is empty
	// 400 VALIDATION the request has 1 invalid field
	//   "/items/0" syntax: the request body is not valid JSON: invalid character '}' at start of value (line 3, column 13, byte offset 47)
	// 400 VALIDATION the request has 1 invalid field
	//   "/items/0/quantity" type: must be an integer
	// 400 VALIDATION the request has 1 invalid field
	//   "" syntax: the request body must hold one JSON value, but has a second JSON value (line 1, column 99, byte offset 98)
	// 400 VALIDATION the request has 1 invalid field
	//   "/customer" duplicate: must appear only once in its object
	// 400 VALIDATION the request has 1 invalid field
	//   "/Customer" unknown: is not an allowed field
	// 400 VALIDATION the request has 1 invalid field
	//   "/coupon" unknown: is not an allowed field
}

func ExampleDecodeJSON_options() {
	v := validate.New(&validate.Options{Messages: map[string]validate.MessageFunc{
		"required": validate.Message("cannot be blank"),
	}})
	opts := &validate.DecodeOptions{
		MaxBytes:           64 << 10,
		AllowUnknownFields: true,
		Validator:          v,
	}
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"status": "draft", "coupon": "SPRING"}`))
	r.Header.Set("Content-Type", "application/merge-patch+json")
	_, err := validate.DecodeJSON[createOrder](nil, r, opts)
	if e, ok := errors.AsType[*result.Error](err); ok {
		for _, v := range e.Violations {
			fmt.Println(v.Pointer, v.Message)
		}
	}
	// Output:
	// /customer cannot be blank
	// /items cannot be blank
}

func ExampleStruct() {
	type address struct {
		City    string `json:"city" validate:"required"`
		Country string `json:"country" validate:"iso3166_1_alpha2"`
	}
	type signup struct {
		Email    string            `json:"email" validate:"required,email"`
		Name     string            `json:"name" validate:"min=3"`
		Address  address           `json:"address"`
		Tags     []string          `json:"tags" validate:"dive,alphanum"`
		Settings map[string]string `json:"settings" validate:"dive,max=8"`
	}
	err := validate.Struct(signup{
		Email:    "ada",
		Name:     "Al",
		Address:  address{Country: "Atlantis"},
		Tags:     []string{"ok", "not ok"},
		Settings: map[string]string{"theme/dark": "certainly"},
	})
	if e, ok := errors.AsType[*result.Error](err); ok {
		for _, v := range e.Violations {
			fmt.Printf("%s %s: %s\n", v.Pointer, v.Rule, v.Message)
		}
	}
	// Output:
	// /email email: must be a valid email address
	// /name min: must be at least 3 characters
	// /address/city required: is required
	// /address/country iso3166_1_alpha2: must be a two-letter ISO 3166-1 country code
	// /tags/1 alphanum: must contain only letters and digits (A-Z, a-z, 0-9)
	// /settings/theme~1dark max: must be at most 8 characters
}

func ExampleVar() {
	fmt.Println(validate.Var("ada@example.com", "required,email"))
	err := validate.Var([]string{"go", ""}, "max=5,dive,required")
	if e, ok := errors.AsType[*result.Error](err); ok {
		for _, v := range e.Violations {
			fmt.Printf("%q %s: %s\n", v.Pointer, v.Rule, v.Message)
		}
	}
	// Output:
	// <nil>
	// "/1" required: is required
}

func ExampleNew() {
	v := validate.New(&validate.Options{Messages: map[string]validate.MessageFunc{
		"min": func(f validate.Failure) string {
			if f.Kind == reflect.String {
				return "is too short: use " + f.Param + " characters or more"
			}
			return validate.DefaultMessage(f)
		},
	}})
	for _, value := range []any{"ab", 2} {
		if e, ok := errors.AsType[*result.Error](v.Var(value, "min=3")); ok {
			fmt.Println(e.Violations[0].Message)
		}
	}
	// Output:
	// is too short: use 3 characters or more
	// must be at least 3
}

func ExampleValidator_RegisterRule() {
	v := validate.New(nil)
	isSKU := func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		return len(s) == 7 && s[2] == '-'
	}
	if err := v.RegisterRule("sku", isSKU, validate.Message("must be a SKU such as AB-1234")); err != nil {
		fmt.Println(err)
		return
	}
	type line struct {
		SKU string `json:"sku" validate:"required,sku"`
	}
	if e, ok := errors.AsType[*result.Error](v.Struct(line{SKU: "AB1234"})); ok {
		fmt.Println(e.Violations[0].Message)
	}

	// Once the Validator is in use, its rules are fixed.
	fmt.Println(v.RegisterRule("late", isSKU, nil))
	// Output:
	// must be a SKU such as AB-1234
	// validate: RegisterRule "late": the Validator is already in use; register rules before the first validation
}

func ExampleValidator_RegisterAlias() {
	v := validate.New(nil)
	if err := v.RegisterAlias("status", "oneof=draft published archived", nil); err != nil {
		fmt.Println(err)
		return
	}
	type post struct {
		Status string `json:"status" validate:"required,status"`
	}
	if e, ok := errors.AsType[*result.Error](v.Struct(post{Status: "deleted"})); ok {
		viol := e.Violations[0]
		fmt.Println(viol.Pointer, viol.Rule, viol.Message)
	}
	// Output:
	// /status status must be one of: draft published archived
}

func ExampleValidator_Struct() {
	v := validate.New(nil)
	type base struct {
		ID string `json:"id" validate:"required,uuid"`
	}
	type user struct {
		base            // embedded: its fields are promoted, in JSON and in pointers
		Email    string `json:"email" validate:"required,email"`
		Password string `json:"password" validate:"min=12"`
		Confirm  string `json:"password_confirmation" validate:"eqfield=Password"`
	}
	err := v.Struct(&user{base: base{ID: "42"}, Email: "ada@example.com", Password: "correct horse", Confirm: "correct house"})
	if e, ok := errors.AsType[*result.Error](err); ok {
		for _, viol := range e.Violations {
			fmt.Printf("%s %s=%s: %s\n", viol.Pointer, viol.Rule, viol.Param, viol.Message)
		}
	}
	// Output:
	// /id uuid=: must be a valid UUID
	// /password_confirmation eqfield=password: must match password
}

func ExampleValidator_Var() {
	v := validate.New(nil)
	err := v.Var(map[string]int{"apples": 3, "pears": -1}, "dive,gte=0")
	if e, ok := errors.AsType[*result.Error](err); ok {
		viol := e.Violations[0]
		fmt.Println(viol.Pointer, viol.Message)
	}
	// Output:
	// /pears must be at least 0
}

func ExampleMessage() {
	v := validate.New(&validate.Options{Messages: map[string]validate.MessageFunc{
		"e164": validate.Message("must be a phone number such as +14155552671"),
	}})
	if e, ok := errors.AsType[*result.Error](v.Var("0207 123 4567", "e164")); ok {
		fmt.Println(e.Violations[0].Message)
	}
	// Output:
	// must be a phone number such as +14155552671
}

func ExampleDefaultMessage() {
	fmt.Println(validate.DefaultMessage(validate.Failure{Rule: "max", Param: "10", Kind: reflect.Slice}))
	fmt.Println(validate.DefaultMessage(validate.Failure{Rule: "oneof", Param: "red green blue", Kind: reflect.String}))
	fmt.Println(validate.DefaultMessage(validate.Failure{Rule: "my_rule"}))
	// Output:
	// must contain at most 10 items
	// must be one of: red green blue
	// must satisfy my_rule
}
