package validate

import (
	"reflect"
	"slices"
	"testing"
)

type fieldsA struct {
	Name string
	X    int `json:"x"`
}

type fieldsB struct {
	Name string
	X    int
}

type fieldsC struct {
	Deep string `json:"name"`
}

type fieldsOuter struct {
	fieldsA          // Name conflicts with fieldsB.Name at the same depth: dropped
	*fieldsB         // its X is another name than fieldsA's tagged x
	Inner    fieldsC `json:"inner"`
	Skip     int     `json:"-"`
	//lint:ignore SA5008 the member named "-" is what this tests
	Dash int `json:"-,"`
	//lint:ignore SA5008 a name encoding/json rejects is what this tests
	Bad int `json:"a\"b"`
	//lint:ignore U1000 an unexported field is what this tests
	private int
	Quoted  int64 `json:",string"`
}

func TestTypeFieldsFollowEncodingJSON(t *testing.T) {
	t.Parallel()
	var names []string
	for _, f := range typeFields(reflect.TypeFor[fieldsOuter]()) {
		names = append(names, f.name)
	}
	want := []string{"x", "X", "inner", "-", "Bad", "Quoted"}
	if !slices.Equal(names, want) {
		t.Errorf("fields = %q, want %q", names, want)
	}
	si := New(nil).structInfoOf(reflect.TypeFor[fieldsOuter]())
	if f := si.field([]byte("QUOTED")); f == nil || !f.quoted {
		t.Errorf("case-insensitive lookup of a ,string field: %+v", f)
	}
	if f := si.field([]byte("Name")); f != nil {
		t.Errorf("an ambiguous name resolved to %+v", f)
	}

	// The diagnoser and encoding/json agree on every member.
	for _, body := range []string{
		`{"Name":"x"}`, `{"x":1}`, `{"X":1}`, `{"inner":{"name":"y"}}`, `{"inner":{"Deep":"y"}}`,
		`{"Skip":1}`, `{"-":1}`, `{"Bad":1}`, `{"a\"b":1}`, `{"private":1}`, `{"Quoted":"12"}`,
		`{"quoted":12}`, `{"fieldsA":{}}`, `{"fieldsB":{}}`,
	} {
		checkDiagnoser(t, []byte(body), reflect.TypeFor[fieldsOuter]())
	}
}

func TestDirectFields(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[fieldsOuter]()
	tests := map[string]goField{
		"fieldsA": {index: 0, name: "fieldsA", inline: true},
		"fieldsB": {index: 1, name: "fieldsB", inline: true},
		"Inner":   {index: 2, name: "inner"},
		"Skip":    {index: 3, name: "Skip", hidden: true},
		"Dash":    {index: 4, name: "-"},
		"Bad":     {index: 5, name: "Bad"},
		"private": {index: 6, name: "private", hidden: true},
		"Quoted":  {index: 7, name: "Quoted"},
	}
	for name, want := range tests {
		sf, _ := typ.FieldByName(name)
		if got := directField(sf, sf.Index[0]); got != want {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
}

func TestFoldName(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{{"name", "NAME"}, {"straße", "STRASSE"}, {"K", "\u212a"}, {"émile", "ÉMILE"}} {
		same := string(foldName([]byte(pair[0]))) == string(foldName([]byte(pair[1])))
		want := pair[0] != "straße" // EqualFold does not expand ß
		if same != want {
			t.Errorf("fold(%q) == fold(%q): %v, want %v", pair[0], pair[1], same, want)
		}
	}
}

type fieldsTagged struct {
	X int `json:"A"`
}

type fieldsUntagged struct {
	A string
	B string
}

type fieldsDominance struct {
	fieldsTagged   // its tagged "A" beats the untagged A at the same depth
	fieldsUntagged // its B loses to the shallower B below
	B              bool
}

func TestTypeFieldsDominance(t *testing.T) {
	t.Parallel()
	fields := typeFields(reflect.TypeFor[fieldsDominance]())
	got := map[string][]int{}
	for _, f := range fields {
		got[f.name] = f.index
	}
	want := map[string][]int{"A": {0, 0}, "B": {2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	for _, body := range []string{`{"A":1}`, `{"A":"s"}`, `{"B":true}`, `{"B":"s"}`, `{"a":1,"b":false}`} {
		checkDiagnoser(t, []byte(body), reflect.TypeFor[fieldsDominance]())
	}
}

type FieldsNum int

//lint:ignore U1000 an unexported embedded non-struct is what this tests
type fieldsNum int

type fieldsInner struct{ Z int }

type fieldsEmbeds struct {
	FieldsNum // an exported non-struct: a member of its own
	//lint:ignore U1000 an unexported embedded non-struct is what this tests
	fieldsNum              // an unexported non-struct: not in the document
	fieldsInner            // an unexported struct: its Z is promoted
	fieldsA     `json:"a"` // a tagged struct: a member named a, not promoted
}

func TestTypeFieldsEmbeddings(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[fieldsEmbeds]()
	var names []string
	for _, f := range typeFields(typ) {
		names = append(names, f.name)
	}
	if want := []string{"FieldsNum", "Z", "a"}; !slices.Equal(names, want) {
		t.Errorf("fields = %q, want %q", names, want)
	}
	for _, body := range []string{
		`{"FieldsNum":1}`, `{"fieldsNum":1}`, `{"Z":1}`, `{"fieldsInner":{}}`, `{"a":{"x":1}}`, `{"x":1}`,
	} {
		checkDiagnoser(t, []byte(body), typ)
	}
}
