package validate

import (
	"cmp"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
)

// readField reads sf with json/v2's rules. Its name is the tag's up to the
// first comma (or quote or backslash, which json/v2 reserves), else the Go
// name; it is inlined, its members the parent's, when it is embedded
// without a name or has the embed option; it is hidden from the document
// by json:"-", or when unexported unless an inlined embedded struct. A tag
// json/v2 refuses makes decoding fail as a bug, whatever it is named here.
func readField(sf reflect.StructField) (name string, inline, hidden bool) {
	tag := sf.Tag.Get("json")
	n := strings.IndexAny(tag, ",\\'\"`")
	if n < 0 {
		n = len(tag)
	}
	inline = tag[:n] == "" && (sf.Anonymous || strings.Contains(tag[n:]+",", ",embed,"))
	hidden = tag == "-" || !sf.IsExported() && !(sf.Anonymous && inline)
	return cmp.Or(tag[:n], sf.Name), inline, hidden
}

// location is where a validator failure sits in the JSON document.
type location struct {
	pointer []byte
	parent  reflect.Type // the struct holding the failed field, if any
	hidden  bool         // the path crosses a field JSON never sees

	// mapKey and mapVal are the entry the path ends at, when it ends at a
	// map entry: validator names a failed key and a failed value alike.
	mapKey, mapVal reflect.Value
	keys           map[uintptr]map[string][]reflect.Value // see keysOf
}

// resolve follows validator's struct namespace, such as
// "Order.Base.Items[0].Labels[a.b]", through top, and records the JSON
// Pointer ("/items/0/labels/a.b") and what it crossed. It walks the value,
// as a namespace alone is ambiguous: validator prints a map key with %v, so
// a key may hold ".", "[" or "]" or differ from its JSON name, and a failed
// key and its value share one namespace. A name it cannot follow leaves
// the pointer at top.
func (loc *location) resolve(top reflect.Value, ns string) {
	loc.pointer, loc.parent, loc.hidden, loc.mapKey = loc.pointer[:0], nil, false, reflect.Value{}
	if t := deref(top); t.Kind() == reflect.Struct {
		ns = strings.TrimPrefix(ns, t.Type().Name()) // validator's first segment
	}
	if ns != "" && ns[0] != '.' && ns[0] != '[' {
		ns = "." + ns // an anonymous struct has no name to start with
	}
	loc.walk(top, ns)
}

// walk resolves ns from cur, and undoes what it recorded if ns does not
// resolve there.
func (loc *location) walk(cur reflect.Value, ns string) bool {
	cur = deref(cur)
	if ns == "" {
		return true
	}
	saved := *loc
	switch k := cur.Kind(); {
	case ns[0] == '.' && k == reflect.Struct:
		goName := ns[1:]
		if i := strings.IndexAny(goName, ".["); i >= 0 {
			goName = goName[:i]
		}
		sf, ok := cur.Type().FieldByName(goName)
		if !ok || len(sf.Index) != 1 {
			break
		}
		name, inline, hidden := readField(sf)
		loc.parent, loc.hidden = cur.Type(), loc.hidden || hidden
		if !inline && !hidden {
			loc.pointer = appendPointerToken(loc.pointer, name)
		}
		if loc.walk(cur.Field(sf.Index[0]), ns[1+len(goName):]) {
			return true
		}
	case ns[0] == '[' && (k == reflect.Slice || k == reflect.Array):
		index, rest, _ := strings.Cut(ns[1:], "]")
		i, err := strconv.Atoi(index)
		if err != nil || i < 0 || i >= cur.Len() {
			break
		}
		loc.pointer = strconv.AppendInt(append(loc.pointer, '/'), int64(i), 10)
		if loc.walk(cur.Index(i), rest) {
			return true
		}
	case ns[0] == '[' && k == reflect.Map:
		// The key ends at one of the "]" that follow: try each.
		for end := 1; end < len(ns); end++ {
			if ns[end] != ']' {
				continue
			}
			for _, key := range loc.keysOf(cur, ns[1:end]) {
				val := cur.MapIndex(key)
				loc.pointer = appendPointerToken(saved.pointer, jsonKey(key))
				if loc.walk(val, ns[end+1:]) {
					if end == len(ns)-1 {
						loc.mapKey, loc.mapVal = key, val
					}
					return true
				}
			}
		}
	}
	*loc = saved
	return false
}

// keysOf returns the keys of the map m that validator prints (%v) as s. A
// string is itself; other keys are indexed once per map. Either way a
// failure costs little in a client's large map (BenchmarkMapFailures).
func (loc *location) keysOf(m reflect.Value, s string) []reflect.Value {
	if m.Type().Key() == reflect.TypeFor[string]() {
		if key := reflect.ValueOf(s); m.MapIndex(key).IsValid() {
			return []reflect.Value{key}
		}
		return nil
	}
	idx, ok := loc.keys[m.Pointer()]
	if !ok {
		idx = make(map[string][]reflect.Value, m.Len())
		for it := m.MapRange(); it.Next(); {
			s := fmt.Sprintf("%v", it.Key())
			idx[s] = append(idx[s], it.Key())
		}
		loc.keys[m.Pointer()] = idx
	}
	return idx[s]
}

// isKeyFailure reports whether a failure on a value of type typ holding
// value, at the map entry loc ends at, is about the entry's key.
func (loc *location) isKeyFailure(typ reflect.Type, value any) bool {
	if !loc.mapKey.IsValid() || typ == nil || typ != loc.mapKey.Type() {
		return false
	}
	val := deref(loc.mapVal)
	if !val.IsValid() || val.Type() != typ {
		return true // only the key has the failed value's type
	}
	// Key and value have the same type: the failed value tells them apart.
	return loc.mapKey.CanInterface() && reflect.DeepEqual(value, loc.mapKey.Interface()) &&
		!(val.CanInterface() && reflect.DeepEqual(value, val.Interface()))
}

// jsonKey returns the member name json/v2 writes for the map key k.
func jsonKey(k reflect.Value) string {
	if k.CanInterface() {
		if b, err := json.Marshal(k.Interface()); err == nil {
			var s string
			if json.Unmarshal(b, &s) != nil {
				return string(b) // a number, which a name holds as is
			}
			return s
		}
	}
	return fmt.Sprint(k)
}

// deref follows pointers and interfaces down to a concrete value.
func deref(v reflect.Value) reflect.Value {
	for (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
		v = v.Elem()
	}
	return v
}

// appendPointerToken appends "/" and s escaped as an RFC 6901 reference
// token: "~" becomes "~0" and "/" becomes "~1".
func appendPointerToken(b []byte, s string) []byte {
	return append(append(b, '/'), tokenEscaper.Replace(s)...)
}

var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// fieldRules lists the rules whose parameter names other fields, by Go
// name where a client must see JSON names: with the stride of the names
// in the parameter, 1 for names alone (eqfield=Password, required_with=Email
// Phone), 2 for name and value pairs (required_if=Status published).
var fieldRules = map[string]int{
	"eqfield": 1, "nefield": 1, "gtfield": 1, "gtefield": 1, "ltfield": 1, "ltefield": 1,
	"eqcsfield": 1, "necsfield": 1, "gtcsfield": 1, "gtecsfield": 1, "ltcsfield": 1, "ltecsfield": 1,
	"fieldcontains": 1, "fieldexcludes": 1, "postcode_iso3166_alpha2_field": 1, "unique": 1,
	"required_with": 1, "required_with_all": 1, "required_without": 1, "required_without_all": 1,
	"excluded_with": 1, "excluded_with_all": 1, "excluded_without": 1, "excluded_without_all": 1,
	"required_if": 2, "required_unless": 2, "excluded_if": 2, "excluded_unless": 2, "skip_unless": 2,
}

// fieldParam rewrites the Go field names in a cross-field rule's parameter
// as JSON names ("Password" becomes "password", "Address.City" becomes
// "address.city"). A name it cannot find is dropped rather than leaked.
func fieldParam(tag, param string, parent, fieldType reflect.Type, top reflect.Value) string {
	var roots []reflect.Type // the structs whose fields the names may be
	switch {
	case tag == "unique" && fieldType != nil:
		// unique=Name names a field of the slice's or map's elements.
		if k := fieldType.Kind(); k == reflect.Slice || k == reflect.Array || k == reflect.Map {
			roots = append(roots, fieldType.Elem())
		}
	case tag != "unique":
		if parent != nil {
			roots = append(roots, parent)
		}
		if t := deref(top); t.Kind() == reflect.Struct {
			roots = append(roots, t.Type())
		}
	}
	stride := fieldRules[tag]
	words := splitParams(param)
	var out []string
	for i := 0; i+stride <= len(words); i += stride {
		for _, root := range roots {
			if name, ok := jsonPath(root, words[i]); ok {
				out = append(out, name)
				if stride == 2 {
					val := words[i+1]
					if val == "" || strings.Contains(val, " ") {
						val = "'" + val + "'"
					}
					out = append(out, val)
				}
				break
			}
		}
	}
	return strings.Join(out, " ")
}

// jsonPath translates a dotted path of Go field names, starting at the
// struct type t, into the dotted path of their JSON names.
func jsonPath(t reflect.Type, path string) (string, bool) {
	var out []string
	for seg := range strings.SplitSeq(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return "", false
		}
		sf, ok := t.FieldByName(seg)
		name, inline, hidden := readField(sf)
		if !ok || len(sf.Index) != 1 || hidden {
			return "", false
		}
		if !inline {
			out = append(out, name)
		}
		t = sf.Type
	}
	return strings.Join(out, "."), len(out) > 0
}

// splitParams splits a rule parameter into words as validator does: at
// spaces, except inside single quotes ('in progress').
func splitParams(param string) []string {
	words := paramWords.FindAllString(param, -1)
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "'", "")
	}
	return words
}

var paramWords = regexp.MustCompile(`'[^']*'|\S+`)
