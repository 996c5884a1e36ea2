package validate

import (
	"reflect"
	"strings"
)

// field is one direct field of a struct as encoding/json/v2 reads it. It
// turns a validator namespace ("Order.Items[0].Name") into a JSON Pointer
// ("/items/0/name") and a cross-field parameter into JSON names.
type field struct {
	index  int
	name   string // the JSON member name
	inline bool   // embedded: its members are the parent's, so no pointer segment
	hidden bool   // json:"-" or unexported: not part of the JSON document
}

// readField reads sf, the index-th field of its struct, with json/v2's
// rules: the name is the tag's up to its first comma (or quote or
// backslash, which json/v2 reserves), else the Go name; an embedded field
// without a name, or one with the embed option, is inlined. Options such as
// omitzero, omitempty, string, format and case do not change the name.
// A tag json/v2 refuses makes decoding fail as a bug, whatever it is named here.
func readField(sf reflect.StructField, index int) field {
	tag := sf.Tag.Get("json")
	f := field{index: index, name: sf.Name}
	if tag == "-" || !sf.IsExported() && !sf.Anonymous {
		f.hidden = true
		return f
	}
	n := strings.IndexAny(tag, ",\\'\"`")
	if n < 0 {
		n = len(tag)
	}
	if tag[:n] != "" {
		f.name = tag[:n]
	} else {
		f.inline = sf.Anonymous || strings.Contains(tag[n:]+",", ",embed,")
	}
	if !sf.IsExported() && !f.inline {
		f.hidden = true
	}
	return f
}

// fieldsOf returns the fields of the struct type t by Go name, cached on
// the Validator.
func (v *Validator) fieldsOf(t reflect.Type) map[string]field {
	if fs, ok := v.types.Load(t); ok {
		return fs.(map[string]field)
	}
	fs := make(map[string]field, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		fs[sf.Name] = readField(sf, i)
	}
	v.types.Store(t, fs)
	return fs
}

// appendPointerToken appends "/" and s escaped as an RFC 6901 reference
// token: "~" becomes "~0" and "/" becomes "~1".
func appendPointerToken(b []byte, s string) []byte {
	b = append(b, '/')
	if !strings.ContainsAny(s, "~/") {
		return append(b, s...)
	}
	return append(b, strings.NewReplacer("~", "~0", "/", "~1").Replace(s)...)
}
