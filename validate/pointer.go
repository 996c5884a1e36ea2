package validate

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// location is where a validator failure sits in the JSON document.
type location struct {
	pointer string
	parent  reflect.Type // the struct holding the failed field, if any
	hidden  bool         // the path crosses a field JSON never sees

	// mapKey and mapVal are the entry the path ends at, when it ends at a
	// map entry: validator names a failed key and a failed value alike.
	mapKey, mapVal reflect.Value
}

// resolver turns validator's struct namespace, such as
// "Order.Base.Items[0].Labels[a.b]", into a JSON Pointer such as
// "/items/0/labels/a.b".
//
// It walks the namespace against the validated value rather than parsing it
// alone: Go field names are identifiers, but a map key is printed as is and
// may contain ".", "[" or "]", so the value's own keys decide where a key
// ends. Walking the type also finds the JSON name of each field, drops the
// segments of embedded structs whose fields JSON promotes, and notices
// fields JSON never sees.
type resolver struct {
	v   *Validator
	buf []byte
	loc location
}

func (r *resolver) resolve(top reflect.Value, ns string) (location, bool) {
	r.buf = r.buf[:0]
	r.loc = location{}
	cur := deref(top)
	if cur.Kind() == reflect.Struct {
		// validator starts the namespace with the top struct's type name.
		if name := cur.Type().Name(); name != "" {
			rest, ok := strings.CutPrefix(ns, name)
			if !ok || (rest != "" && rest[0] != '.') {
				return location{}, false
			}
			ns = strings.TrimPrefix(rest, ".")
		}
	}
	if !r.walk(cur, ns, true) {
		return location{}, false
	}
	r.loc.pointer = string(r.buf)
	return r.loc, true
}

// walk resolves rest against cur; first is set where a bare field name may
// start without a leading ".".
func (r *resolver) walk(cur reflect.Value, rest string, first bool) bool {
	if rest == "" {
		return true
	}
	cur = deref(cur)
	switch {
	case rest[0] == '[':
		return r.index(cur, rest[1:])
	case rest[0] == '.':
		return r.field(cur, rest[1:])
	case first:
		return r.field(cur, rest)
	}
	return false
}

func (r *resolver) field(cur reflect.Value, rest string) bool {
	if cur.Kind() != reflect.Struct {
		return false
	}
	name := rest
	if i := strings.IndexAny(rest, ".["); i >= 0 {
		name = rest[:i]
	}
	f, ok := r.v.fieldsOf(cur.Type())[name]
	if !ok {
		return false
	}
	saved := r.loc
	r.loc.parent = cur.Type()
	r.loc.hidden = r.loc.hidden || f.hidden
	if f.inline || f.hidden { // no segment of its own
		if r.walk(cur.Field(f.index), rest[len(name):], false) {
			return true
		}
	} else if r.step(f.name, cur.Field(f.index), rest[len(name):]) {
		return true
	}
	r.loc = saved
	return false
}

// step appends token to the pointer and walks rest from val, undoing the
// token if rest does not resolve there.
func (r *resolver) step(token string, val reflect.Value, rest string) bool {
	mark := len(r.buf)
	r.buf = appendPointerToken(r.buf, token)
	if r.walk(val, rest, false) {
		return true
	}
	r.buf = r.buf[:mark]
	return false
}

func (r *resolver) index(cur reflect.Value, rest string) bool {
	switch cur.Kind() {
	case reflect.Slice, reflect.Array:
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return false
		}
		i, err := strconv.Atoi(rest[:end])
		return err == nil && i >= 0 && i < cur.Len() && r.step(strconv.Itoa(i), cur.Index(i), rest[end+1:])
	case reflect.Map:
		return r.mapKey(cur, rest)
	}
	return false
}

// mapKey resolves "key]..." in the map m. validator prints a key with
// fmt's %v, so a key is any prefix of rest that prints that way and is
// followed by "]".
func (r *resolver) mapKey(m reflect.Value, rest string) bool {
	if kt := m.Type().Key(); plainKey(kt) {
		// %v prints such a key as itself: look each candidate up rather
		// than scan a large map once per failure.
		for end := 0; ; end++ {
			next := strings.IndexByte(rest[end:], ']')
			if next < 0 {
				return false
			}
			end += next
			if k, ok := parseKey(kt, rest[:end]); ok {
				if val := m.MapIndex(k); val.IsValid() && r.tryKey(k, val, rest[end+1:]) {
					return true
				}
			}
		}
	}
	for iter := m.MapRange(); iter.Next(); {
		k := fmt.Sprintf("%v", iter.Key())
		if len(rest) > len(k) && rest[len(k)] == ']' && strings.HasPrefix(rest, k) && r.tryKey(iter.Key(), iter.Value(), rest[len(k)+1:]) {
			return true
		}
	}
	return false
}

func (r *resolver) tryKey(k, val reflect.Value, rest string) bool {
	if !r.step(jsonKey(k), val, rest) {
		return false
	}
	if rest == "" {
		r.loc.mapKey, r.loc.mapVal = k, val
	}
	return true
}

// isKeyFailure reports whether a failure on a value of type typ holding
// value, at the map entry loc ends at, is about the entry's key.
func (loc location) isKeyFailure(typ reflect.Type, value any) bool {
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

var (
	stringerType = reflect.TypeFor[fmt.Stringer]()
	errorType    = reflect.TypeFor[error]()
	formatterT   = reflect.TypeFor[fmt.Formatter]()
)

// plainKey reports whether %v prints a key of type t as is: a string or
// an integer without methods of its own for printing.
func plainKey(t reflect.Type) bool {
	k := t.Kind()
	return (k == reflect.String || k >= reflect.Int && k <= reflect.Uint64) &&
		!t.Implements(stringerType) && !t.Implements(errorType) && !t.Implements(formatterT)
}

// parseKey returns the key of the plain key type t that %v prints as s.
func parseKey(t reflect.Type, s string) (reflect.Value, bool) {
	var v any = s
	var err error
	if k := t.Kind(); k >= reflect.Int && k <= reflect.Int64 {
		v, err = strconv.ParseInt(s, 10, t.Bits())
	} else if k >= reflect.Uint && k <= reflect.Uint64 {
		v, err = strconv.ParseUint(s, 10, t.Bits())
	}
	return reflect.ValueOf(v).Convert(t), err == nil
}

// jsonKey returns the member name json/v2 writes for the map key k.
func jsonKey(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	if k.CanInterface() {
		if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
			if k.Kind() != reflect.Pointer || !k.IsNil() {
				if b, err := tm.MarshalText(); err == nil {
					return string(b)
				}
			}
		}
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10)
	}
	return fmt.Sprintf("%v", k)
}

// deref follows pointers and interfaces down to a concrete value.
func deref(v reflect.Value) reflect.Value {
	for (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
		v = v.Elem()
	}
	return v
}

// namespacePointer is the fallback for a namespace the resolver cannot
// follow: validator's JSON namespace, split at its separators.
func namespacePointer(top reflect.Value, ns string) string {
	if t := deref(top); t.Kind() == reflect.Struct && t.Type().Name() != "" {
		ns = strings.TrimPrefix(strings.TrimPrefix(ns, t.Type().Name()), ".")
	}
	var b []byte
	for _, seg := range strings.FieldsFunc(ns, func(r rune) bool { return r == '.' || r == '[' || r == ']' }) {
		b = appendPointerToken(b, seg)
	}
	return string(b)
}

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
func (v *Validator) fieldParam(tag, param string, parent, fieldType reflect.Type, top reflect.Value) string {
	var roots []reflect.Type // the structs whose fields the names may be
	switch {
	case tag == "unique" && fieldType != nil:
		// unique=Name names a field of the slice's or map's elements.
		for fieldType.Kind() == reflect.Pointer {
			fieldType = fieldType.Elem()
		}
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
			if name, ok := v.jsonPath(root, words[i]); ok {
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
func (v *Validator) jsonPath(t reflect.Type, path string) (string, bool) {
	var out []string
	for seg := range strings.SplitSeq(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return "", false
		}
		f, ok := v.fieldsOf(t)[seg]
		if !ok || f.hidden {
			return "", false
		}
		if !f.inline {
			out = append(out, f.name)
		}
		t = t.Field(f.index).Type
	}
	return strings.Join(out, "."), len(out) > 0
}

// splitParams splits a rule parameter into words as validator does: at
// spaces, except inside single quotes ('in progress').
func splitParams(param string) []string {
	var out []string
	for param != "" {
		param = strings.TrimLeft(param, " ")
		if param == "" {
			break
		}
		if param[0] == '\'' {
			if end := strings.IndexByte(param[1:], '\''); end >= 0 {
				out = append(out, param[1:end+1])
				param = param[end+2:]
				continue
			}
		}
		end := strings.IndexByte(param, ' ')
		if end < 0 {
			end = len(param)
		}
		out = append(out, param[:end])
		param = param[end:]
	}
	return out
}
