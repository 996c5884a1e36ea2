package validatebench

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/go-playground/validator/v10"
	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/validate"
)

// TestSameResult checks that harden and the hand-written code (json/v2 and
// encoding/json alike) decode the valid body to the same value and find
// the same ten broken rules, so that the benchmarks compare the same work.
func TestSameResult(t *testing.T) {
	v := newValidator()
	r, _ := request(validBody)
	got, err := validate.DecodeJSON[order](httptest.NewRecorder(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 6 {
		t.Fatalf("harden decoded %d items, want 6", len(got.Items))
	}
	r, _ = request(invalidBody)
	_, err = validate.DecodeJSON[order](httptest.NewRecorder(), r, nil)
	e, ok := errors.AsType[*result.Error](err)
	if !ok || e.Code != result.CodeValidation {
		t.Fatalf("harden: %v, want a VALIDATION error", err)
	}
	var hardenRules []string
	for _, x := range e.Violations {
		hardenRules = append(hardenRules, x.Rule)
	}
	slices.Sort(hardenRules)
	if len(hardenRules) != 10 {
		t.Fatalf("harden found %v, want 10 rules", hardenRules)
	}

	for name, byHand := range map[string]func(*validator.Validate, http.ResponseWriter, *http.Request) (order, []violation, error){
		"json/v2": byHand, "encoding/json": byHandV1,
	} {
		r, _ := request(validBody)
		want, vs, err := byHand(v, httptest.NewRecorder(), r)
		if err != nil || len(vs) != 0 {
			t.Fatal(name, err, vs)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("harden decoded %+v, %s by hand %+v", got, name, want)
		}
		r, _ = request(invalidBody)
		_, vs, err = byHand(v, httptest.NewRecorder(), r)
		if err != nil {
			t.Fatal(name, err)
		}
		var handRules []string
		for _, x := range vs {
			handRules = append(handRules, x.Rule)
		}
		slices.Sort(handRules)
		if !slices.Equal(hardenRules, handRules) {
			t.Errorf("harden found %v, %s by hand %v", hardenRules, name, handRules)
		}
	}
}

// TestSameStrictness checks that harden refuses what json/v2 by hand
// refuses, a duplicate member name and a name that matches a field only
// when case is ignored, both of which encoding/json by hand accepts: the
// v1 row does less checking than the others.
func TestSameStrictness(t *testing.T) {
	v := newValidator()
	for _, body := range []string{
		`{"id":"0b6e8a1c-8a5b-4c1e-9f62-3d7c2b1a0e4f","id":"0b6e8a1c-8a5b-4c1e-9f62-3d7c2b1a0e4f"}`,
		`{"ID":"0b6e8a1c-8a5b-4c1e-9f62-3d7c2b1a0e4f"}`,
	} {
		r, _ := request([]byte(body))
		_, err := validate.DecodeJSON[order](httptest.NewRecorder(), r, nil)
		if e, ok := errors.AsType[*result.Error](err); !ok || len(e.Violations) != 1 || (e.Violations[0].Rule != "duplicate" && e.Violations[0].Rule != "unknown") {
			t.Errorf("harden %s: %v, want one duplicate or unknown violation", body, err)
		}
		r, _ = request([]byte(body))
		if _, _, err := byHand(v, httptest.NewRecorder(), r); err == nil {
			t.Errorf("json/v2 by hand accepted %s", body)
		}
		r, _ = request([]byte(body))
		if _, _, err := byHandV1(v, httptest.NewRecorder(), r); err != nil {
			t.Errorf("encoding/json by hand refused %s: %v", body, err)
		}
	}
}
