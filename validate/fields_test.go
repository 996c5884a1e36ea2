package validate

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

type fieldsInner struct{ Z int }

type FieldsExported struct {
	Y int `json:"y"`
}

type fieldsAll struct {
	fieldsInner                 // unexported, embedded, no name: its Z is promoted
	FieldsExported `json:"exp"` // embedded with a name: a member of its own
	Plain          int
	Named          int            `json:"named"`
	OmitZero       int            `json:",omitzero"`
	NamedOmitEmpty string         `json:"nz,omitempty"`
	Quoted         int64          `json:"q,string"`
	CaseIgnore     string         `json:"ci,case:ignore"`
	Nested         *fieldsInner   `json:"nested,omitzero"`
	Skip           int            `json:"-"`
	Inlined        map[string]int `json:",embed"`
	//lint:ignore U1000 an unexported field is what this tests
	private int
}

// TestFieldNamesMatchJSONv2 checks that readField names every member as
// json/v2 writes it, so that a violation's pointer and the document agree.
func TestFieldNamesMatchJSONv2(t *testing.T) {
	t.Parallel()
	in := fieldsAll{
		fieldsInner: fieldsInner{Z: 1}, FieldsExported: FieldsExported{Y: 1},
		Plain: 1, Named: 1, OmitZero: 1, NamedOmitEmpty: "x", Quoted: 1, CaseIgnore: "x",
		Nested: &fieldsInner{}, Skip: 1, Inlined: map[string]int{"extra": 1}, private: 1,
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	if _, err := dec.ReadToken(); err != nil {
		t.Fatal(err)
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, tok.String())
		if err := dec.SkipValue(); err != nil {
			t.Fatal(err)
		}
	}
	want = slices.DeleteFunc(want, func(s string) bool { return s == "extra" }) // the inlined map's own key

	var got []string
	typ := reflect.TypeFor[fieldsAll]()
	for i := range typ.NumField() {
		name, inline, hidden := readField(typ.Field(i))
		switch {
		case hidden:
		case inline && name == "fieldsInner":
			got = append(got, "Z")
		case !inline:
			got = append(got, name)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("readField names %q, json/v2 writes %q", got, want)
	}
	sf, _ := typ.FieldByName("Inlined")
	if _, inline, _ := readField(sf); !inline {
		t.Errorf("the embed option: %+v, want inline", sf)
	}
}
