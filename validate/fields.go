package validate

import (
	"bytes"
	"cmp"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// structInfo is what validate knows about one struct type's JSON shape,
// computed once per type and cached on the Validator. It follows
// encoding/json's rules, so that a pointer names the member a client sent.
type structInfo struct {
	// byGoName maps each direct field's Go name to its JSON form. It turns a
	// validator namespace ("Order.Items[0].Name") into a JSON Pointer.
	byGoName map[string]goField

	// fields are the JSON members encoding/json decodes into, after its
	// rules for embedded structs and conflicting names; byExact and byFold
	// find one by key, exactly or case-insensitively, as encoding/json does.
	fields  []jsonField
	byExact map[string]*jsonField
	byFold  map[string]*jsonField
}

// goField is one direct field of a struct, seen from JSON.
type goField struct {
	index  int
	name   string // the JSON member name
	inline bool   // an embedded struct whose fields are promoted: no pointer segment
	hidden bool   // json:"-" or unexported: not part of the JSON document
}

// jsonField is one JSON member of a struct, as encoding/json decodes it.
type jsonField struct {
	name   string
	tagged bool
	index  []int
	typ    reflect.Type
	quoted bool // the ",string" option
}

// structInfoOf returns the cached structInfo for the struct type t.
func (v *Validator) structInfoOf(t reflect.Type) *structInfo {
	if si, ok := v.types.Load(t); ok {
		return si.(*structInfo)
	}
	si, _ := v.types.LoadOrStore(t, newStructInfo(t))
	return si.(*structInfo)
}

func newStructInfo(t reflect.Type) *structInfo {
	si := &structInfo{byGoName: make(map[string]goField, t.NumField())}
	for i := range t.NumField() {
		sf := t.Field(i)
		si.byGoName[sf.Name] = directField(sf, i)
	}
	si.fields = typeFields(t)
	si.byExact = make(map[string]*jsonField, len(si.fields))
	si.byFold = make(map[string]*jsonField, len(si.fields))
	for i := range si.fields {
		f := &si.fields[i]
		si.byExact[f.name] = f
		// As in encoding/json, the first field (in index order) wins a
		// case-insensitive match.
		k := string(foldName([]byte(f.name)))
		if _, ok := si.byFold[k]; !ok {
			si.byFold[k] = f
		}
	}
	return si
}

// field finds the member a JSON object key decodes into, or nil.
func (si *structInfo) field(key []byte) *jsonField {
	if f := si.byExact[string(key)]; f != nil {
		return f
	}
	return si.byFold[string(foldName(key))]
}

// fieldView is one struct field read as encoding/json reads it.
type fieldView struct {
	name   string       // the JSON member name: the tag's, else the Go name
	tagged bool         // the name comes from the tag
	opts   string       // the tag's options after the name
	typ    reflect.Type // the field's type, an unnamed pointer dereferenced
	hidden bool         // json:"-" or unexported: not part of the JSON document
	inline bool         // an embedded struct without a name: its fields are promoted
}

// viewField reads sf with encoding/json's rules.
func viewField(sf reflect.StructField) fieldView {
	v := fieldView{name: sf.Name, typ: sf.Type}
	if v.typ.Name() == "" && v.typ.Kind() == reflect.Pointer {
		v.typ = v.typ.Elem()
	}
	tag := sf.Tag.Get("json")
	if tag == "-" || !sf.IsExported() && (!sf.Anonymous || v.typ.Kind() != reflect.Struct) {
		v.hidden = true
		return v
	}
	name, opts, _ := strings.Cut(tag, ",")
	v.opts = opts
	if isValidTag(name) && name != "" {
		v.name, v.tagged = name, true
	}
	v.inline = sf.Anonymous && !v.tagged && v.typ.Kind() == reflect.Struct
	return v
}

// directField describes sf, the index-th field of its struct, as JSON sees it.
func directField(sf reflect.StructField, index int) goField {
	v := viewField(sf)
	return goField{index: index, name: v.name, inline: v.inline, hidden: v.hidden}
}

// typeFields returns the JSON members of the struct type t with
// encoding/json's rules: embedded structs without a name are promoted,
// shallower fields hide deeper ones, a tagged field beats an untagged one
// at the same depth, and a tie drops the name altogether.
func typeFields(t reflect.Type) []jsonField {
	type pending struct {
		typ   reflect.Type
		index []int
	}
	var current []pending
	next := []pending{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []jsonField

	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, p := range current {
			if visited[p.typ] {
				continue
			}
			visited[p.typ] = true
			for i := range p.typ.NumField() {
				sf := p.typ.Field(i)
				v := viewField(sf)
				if v.hidden {
					continue
				}
				index := make([]int, len(p.index)+1)
				copy(index, p.index)
				index[len(p.index)] = i
				if v.inline {
					nextCount[v.typ]++
					if nextCount[v.typ] == 1 {
						next = append(next, pending{typ: v.typ, index: index})
					}
					continue
				}
				quoted := false
				if hasOption(v.opts, "string") {
					switch v.typ.Kind() {
					case reflect.Bool,
						reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64,
						reflect.String:
						quoted = true
					}
				}
				fields = append(fields, jsonField{name: v.name, tagged: v.tagged, index: index, typ: sf.Type, quoted: quoted})
				if count[p.typ] > 1 {
					// Several embeddings of the same type at this depth:
					// a duplicate makes the conflict visible below.
					fields = append(fields, fields[len(fields)-1])
				}
			}
		}
	}

	slices.SortFunc(fields, func(a, b jsonField) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return +1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for advance, i := 0, 0; i < len(fields); i += advance {
		fi := fields[i]
		for advance = 1; i+advance < len(fields) && fields[i+advance].name == fi.name; advance++ {
		}
		if advance == 1 {
			out = append(out, fi)
			continue
		}
		if len(fi.index) == len(fields[i+1].index) && fi.tagged == fields[i+1].tagged {
			continue // ambiguous: encoding/json drops the name
		}
		out = append(out, fi)
	}
	slices.SortFunc(out, func(a, b jsonField) int { return slices.Compare(a.index, b.index) })
	return out
}

func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// isValidTag reports whether encoding/json accepts s as a member name.
func isValidTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// foldName returns a key such that foldName(x) == foldName(y) exactly when
// bytes.EqualFold(x, y): the case-insensitive match encoding/json makes
// between object keys and field names.
func foldName(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return out
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// appendPointerToken appends "/" and s escaped as an RFC 6901 reference
// token: "~" becomes "~0" and "/" becomes "~1".
func appendPointerToken(b []byte, s string) []byte {
	b = append(b, '/')
	if !strings.ContainsAny(s, "~/") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '~':
			b = append(b, '~', '0')
		case '/':
			b = append(b, '~', '1')
		default:
			b = append(b, s[i])
		}
	}
	return b
}

// appendPointerTokenBytes is appendPointerToken for a key still in bytes.
func appendPointerTokenBytes(b []byte, s []byte) []byte {
	if !bytes.ContainsAny(s, "~/") {
		return append(append(b, '/'), s...)
	}
	return appendPointerToken(b, string(s))
}
