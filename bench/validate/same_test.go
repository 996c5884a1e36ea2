package validatebench

import (
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/hardenkit/harden/result"
	"github.com/hardenkit/harden/validate"
)

// TestSameResult checks that harden and the hand-written code decode the
// valid body to the same value and find the same ten broken rules, so that
// the benchmarks compare the same work.
func TestSameResult(t *testing.T) {
	v := newValidator()
	r, _ := request(validBody)
	got, err := validate.DecodeJSON[order](httptest.NewRecorder(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ = request(validBody)
	want, vs, err := byHand(v, httptest.NewRecorder(), r)
	if err != nil || len(vs) != 0 {
		t.Fatal(err, vs)
	}
	if !reflect.DeepEqual(got, want) || len(got.Items) != 6 {
		t.Errorf("harden decoded %+v, by hand %+v", got, want)
	}

	r, _ = request(invalidBody)
	_, err = validate.DecodeJSON[order](httptest.NewRecorder(), r, nil)
	e := result.As(err)
	if e == nil || e.Code != result.CodeValidation {
		t.Fatalf("harden: %v, want a VALIDATION error", err)
	}
	var hardenRules, handRules []string
	for _, x := range e.Violations {
		hardenRules = append(hardenRules, x.Rule)
	}
	r, _ = request(invalidBody)
	_, vs, err = byHand(v, httptest.NewRecorder(), r)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range vs {
		handRules = append(handRules, x.Rule)
	}
	slices.Sort(hardenRules)
	slices.Sort(handRules)
	if len(hardenRules) != 10 || !slices.Equal(hardenRules, handRules) {
		t.Errorf("harden found %v, by hand %v", hardenRules, handRules)
	}
}
