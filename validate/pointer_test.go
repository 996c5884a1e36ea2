package validate

import (
	"reflect"
	"slices"
	"testing"

	"github.com/hardenkit/harden/result"
)

type ptrAudit struct {
	CreatedBy string `json:"created_by" validate:"required"`
}

type ptrMeta struct {
	Revision int `json:"revision" validate:"gte=1"`
}

type ptrHidden struct {
	Internal string `validate:"required"`
}

type ptrLine struct {
	Name  string            `json:"name" validate:"required"`
	Tags  []string          `json:"tags" validate:"dive,min=2"`
	Attrs map[string]string `json:"attrs" validate:"dive,required"`
}

type ptrKey int

func (k ptrKey) String() string { return "key-" + string(rune('0'+int(k))) }

type ptrDoc struct {
	ptrAudit                    // embedded value: its fields are promoted in JSON
	*ptrMeta                    // embedded pointer: promoted too
	Named    ptrAudit           `json:"named"` // a named field of the same type
	Tagged   ptrMeta            `json:"tagged"`
	Title    string             `json:"title" validate:"required"`
	Untagged string             `validate:"required"`
	Renamed  string             `json:"a/b~c" validate:"required"`
	Lines    []ptrLine          `json:"lines" validate:"dive"`
	Matrix   [][]int            `json:"matrix" validate:"dive,dive,gte=0"`
	ByName   map[string]ptrLine `json:"by_name" validate:"dive"`
	ByID     map[int]*ptrLine   `json:"by_id" validate:"dive"`
	ByKey    map[ptrKey]string  `json:"by_key" validate:"dive,required"`
	Fixed    [2]ptrLine         `json:"fixed" validate:"dive"`
	Secret   string             `json:"-" validate:"required"`
	Hidden   ptrHidden          `json:"-"`
	Opt      *ptrLine           `json:"opt"`
}

func validDoc() *ptrDoc {
	line := ptrLine{Name: "x"}
	return &ptrDoc{
		ptrAudit: ptrAudit{CreatedBy: "ada"},
		ptrMeta:  &ptrMeta{Revision: 1},
		Named:    ptrAudit{CreatedBy: "bob"},
		Tagged:   ptrMeta{Revision: 1},
		Title:    "t",
		Untagged: "u",
		Renamed:  "r",
		Fixed:    [2]ptrLine{line, line},
		Secret:   "s",
		Hidden:   ptrHidden{Internal: "i"},
	}
}

// pointers returns the pointer and rule of every violation in err.
func pointers(t *testing.T, err error) []string {
	t.Helper()
	e := resultAs(err)
	if e == nil {
		t.Fatalf("got %v (%T), want a *result.Error", err, err)
	}
	if e.Code != result.CodeValidation {
		t.Fatalf("code = %s, want VALIDATION", e.Code)
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Pointer+" "+v.Rule)
	}
	slices.Sort(out)
	return out
}

func TestStructPointers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(d *ptrDoc)
		want   []string
	}{
		{"top-level field", func(d *ptrDoc) { d.Title = "" }, []string{"/title required"}},
		{"field without a json tag keeps its Go name", func(d *ptrDoc) { d.Untagged = "" }, []string{"/Untagged required"}},
		{"RFC 6901 escaping", func(d *ptrDoc) { d.Renamed = "" }, []string{"/a~1b~0c required"}},
		{"embedded value struct is not a segment", func(d *ptrDoc) { d.CreatedBy = "" }, []string{"/created_by required"}},
		{"embedded pointer struct is not a segment", func(d *ptrDoc) { d.Revision = 0 }, []string{"/revision gte"}},
		{"named field of an embeddable type", func(d *ptrDoc) { d.Named.CreatedBy = "" }, []string{"/named/created_by required"}},
		{"nested struct", func(d *ptrDoc) { d.Tagged.Revision = 0 }, []string{"/tagged/revision gte"}},
		{"slice of structs", func(d *ptrDoc) {
			d.Lines = []ptrLine{{Name: "a"}, {Name: ""}}
		}, []string{"/lines/1/name required"}},
		{"slice inside slice element", func(d *ptrDoc) {
			d.Lines = []ptrLine{{Name: "a", Tags: []string{"ok", "x"}}}
		}, []string{"/lines/0/tags/1 min"}},
		{"slice of slices", func(d *ptrDoc) { d.Matrix = [][]int{{1}, {2, -3}} }, []string{"/matrix/1/1 gte"}},
		{"map of structs", func(d *ptrDoc) {
			d.ByName = map[string]ptrLine{"ok": {Name: "a"}, "bad": {}}
		}, []string{"/by_name/bad/name required"}},
		{"map key with separators and escapes", func(d *ptrDoc) {
			d.ByName = map[string]ptrLine{"a.b]c[0]/~": {}}
		}, []string{"/by_name/a.b]c[0]~1~0/name required"}},
		{"map key that is a prefix of another", func(d *ptrDoc) {
			d.ByName = map[string]ptrLine{"a": {Name: "x"}, "a].name": {}}
		}, []string{"/by_name/a].name/name required"}},
		{"map in map element", func(d *ptrDoc) {
			d.ByName = map[string]ptrLine{"k": {Name: "x", Attrs: map[string]string{"color": ""}}}
		}, []string{"/by_name/k/attrs/color required"}},
		{"one key in two maps", func(d *ptrDoc) {
			d.Lines = []ptrLine{{Name: "a", Attrs: map[string]string{"color": ""}}, {Name: "b", Attrs: map[string]string{"color": ""}}}
		}, []string{"/lines/0/attrs/color required", "/lines/1/attrs/color required"}},
		{"map with int keys and pointer values", func(d *ptrDoc) {
			d.ByID = map[int]*ptrLine{-7: {}}
		}, []string{"/by_id/-7/name required"}},
		{"map key with a String method", func(d *ptrDoc) {
			d.ByKey = map[ptrKey]string{3: ""}
		}, []string{"/by_key/3 required"}},
		{"array", func(d *ptrDoc) { d.Fixed[1].Name = "" }, []string{"/fixed/1/name required"}},
		{"pointer to struct", func(d *ptrDoc) { d.Opt = &ptrLine{} }, []string{"/opt/name required"}},
		{"json:\"-\" fields are not reported", func(d *ptrDoc) { d.Secret, d.Hidden.Internal = "", "" }, nil},
		{"several at once", func(d *ptrDoc) {
			d.Title, d.CreatedBy = "", ""
			d.Lines = []ptrLine{{}}
		}, []string{"/created_by required", "/lines/0/name required", "/title required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := validDoc()
			tt.mutate(d)
			err := Struct(d)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Struct = %v, want nil", err)
				}
				return
			}
			if got := pointers(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("violations = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStructValidDoc(t *testing.T) {
	t.Parallel()
	if err := Struct(validDoc()); err != nil {
		t.Fatalf("Struct(valid) = %v", err)
	}
	d := *validDoc()
	if err := Struct(d); err != nil {
		t.Fatalf("Struct(value) = %v", err)
	}
}

type ptrGeneric[T any] struct {
	Value T `json:"value" validate:"required"`
}

type ptrEmbedsGeneric struct {
	ptrGeneric[string]
	Other string `json:"other" validate:"required"`
}

func TestStructPointersGenericAndAnonymous(t *testing.T) {
	t.Parallel()
	// A generic type's name has brackets and dots in it.
	if got := pointers(t, Struct(ptrGeneric[map[string]int]{})); !slices.Equal(got, []string{"/value required"}) {
		t.Errorf("generic: %q", got)
	}
	if got := pointers(t, Struct(ptrEmbedsGeneric{Other: "x"})); !slices.Equal(got, []string{"/value required"}) {
		t.Errorf("embedded generic: %q", got)
	}
	anon := struct {
		Name string `json:"name" validate:"required"`
	}{}
	if got := pointers(t, Struct(&anon)); !slices.Equal(got, []string{"/name required"}) {
		t.Errorf("anonymous struct: %q", got)
	}
}

func TestVarPointers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value any
		tag   string
		want  []string
	}{
		{"plain value", "", "required", []string{" required"}},
		{"slice elements", []string{"ok", ""}, "dive,required", []string{"/1 required"}},
		{"map elements", map[string]int{"a/b": 0}, "dive,gt=0", []string{"/a~1b gt"}},
		{"nil", nil, "required", []string{" required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := pointers(t, Var(tt.value, tt.tag)); !slices.Equal(got, tt.want) {
				t.Errorf("Var(%#v, %q) = %q, want %q", tt.value, tt.tag, got, tt.want)
			}
		})
	}
}

type crossFieldForm struct {
	Password string    `json:"password" validate:"required"`
	Confirm  string    `json:"confirm_password" validate:"eqfield=Password"`
	Status   string    `json:"status"`
	Reason   string    `json:"reason" validate:"required_if=Status rejected"`
	Email    string    `json:"email"`
	Phone    string    `json:"phone" validate:"required_without=Email"`
	Items    []ptrLine `json:"items" validate:"unique=Name"`
	Unknown  string    `json:"unknown" validate:"required_with=Nope"`
}

func TestCrossFieldParamsUseJSONNames(t *testing.T) {
	t.Parallel()
	f := crossFieldForm{
		Password: "a", Confirm: "b", Status: "rejected",
		Items:   []ptrLine{{Name: "x"}, {Name: "x"}},
		Unknown: "",
	}
	e := resultAs(Struct(f))
	if e == nil {
		t.Fatal("want a validation error")
	}
	got := map[string]result.Violation{}
	for _, v := range e.Violations {
		got[v.Pointer] = v
	}
	want := map[string][2]string{
		"/confirm_password": {"password", "must match password"},
		"/reason":           {"status rejected", "is required when status is rejected"},
		"/phone":            {"email", "is required when email is missing"},
		"/items":            {"name", "must not contain two items with the same name"},
	}
	if len(got) != len(want) {
		t.Errorf("violations = %+v, want %d", e.Violations, len(want))
	}
	for p, w := range want {
		v, ok := got[p]
		if !ok {
			t.Errorf("no violation at %s", p)
			continue
		}
		if v.Param != w[0] || v.Message != w[1] {
			t.Errorf("%s: param %q message %q, want %q %q", p, v.Param, v.Message, w[0], w[1])
		}
	}
}

func TestFieldParamDropsUnknownNames(t *testing.T) {
	t.Parallel()
	parent := reflect.TypeFor[crossFieldForm]()
	if got := fieldParam("eqfield", "Nope", parent, nil, reflect.Value{}); got != "" {
		t.Errorf("unknown field leaked as %q", got)
	}
	if got := fieldParam("required_if", "Status 'in review' Nope x", parent, nil, reflect.Value{}); got != "status 'in review'" {
		t.Errorf("required_if param = %q", got)
	}
}

func TestPointerTokenEscaping(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "/", "a": "/a", "~": "/~0", "/": "/~1", "~1": "/~01", "a/b~c": "/a~1b~0c"} {
		if got := string(appendPointerToken(nil, in)); got != want {
			t.Errorf("token(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMapKeyFailures(t *testing.T) {
	t.Parallel()
	type form struct {
		Counts map[string]int    `json:"counts" validate:"dive,keys,min=2,endkeys,gte=0"`
		Names  map[string]string `json:"names" validate:"dive,keys,max=2,endkeys,max=3"`
		Any    map[string]any    `json:"any" validate:"dive,keys,alpha,endkeys,required"`
	}
	tests := []struct {
		name string
		f    form
		want result.Violation
	}{
		{"key of another type than the value", form{Counts: map[string]int{"a": 1}},
			result.Violation{Pointer: "/counts/a", Rule: "min", Param: "2", Message: "key must be at least 2 characters"}},
		{"value", form{Counts: map[string]int{"ab": -1}},
			result.Violation{Pointer: "/counts/ab", Rule: "gte", Param: "0", Message: "must be at least 0"}},
		{"key of the value's type", form{Names: map[string]string{"abc": "x"}},
			result.Violation{Pointer: "/names/abc", Rule: "max", Param: "2", Message: "key must be at most 2 characters"}},
		{"value of the key's type", form{Names: map[string]string{"ab": "wxyz"}},
			result.Violation{Pointer: "/names/ab", Rule: "max", Param: "3", Message: "must be at most 3 characters"}},
		{"key of an interface map", form{Any: map[string]any{"a1": "x"}},
			result.Violation{Pointer: "/any/a1", Rule: "alpha", Message: "key must contain only letters (A-Z, a-z)"}},
		{"string value of an interface map", form{Any: map[string]any{"ab": nil}},
			result.Violation{Pointer: "/any/ab", Rule: "required", Message: "is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := only(t, Struct(tt.f)); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	var seen Failure
	v := New(&Options{Messages: map[string]MessageFunc{"min": func(f Failure) string { seen = f; return "x" }}})
	only(t, v.Struct(form{Counts: map[string]int{"a": 1}}))
	if !seen.Key || seen.Pointer != "/counts/a" {
		t.Errorf("MessageFunc saw %+v, want Key set", seen)
	}
}
