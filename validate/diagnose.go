package validate

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hardenkit/harden/result"
)

// diagnoser finds every decode problem in a JSON value that encoding/json
// rejected for a reason other than its syntax.
//
// encoding/json reports only the first unknown member or type mismatch,
// with a dotted field path that has no array indexes or map keys. The
// diagnoser walks the (syntactically valid) document against the target
// type with encoding/json's rules, so it reports each problem at its JSON
// Pointer, as the client wrote it. It runs only after a failed decode, so
// a valid body pays nothing for it.
type diagnoser struct {
	v               *Validator
	data            []byte
	pos             int
	disallowUnknown bool

	ptr     []byte
	out     []result.Violation
	aborted bool // encoding/json stopped at an error, leaving the value half decoded
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
	anyType             = reflect.TypeFor[any]()
)

func (d *diagnoser) run(t reflect.Type) {
	defer func() {
		// The walk assumes encoding/json's view of the document; should the
		// two ever disagree, the caller's fallback still reports the error.
		if recover() != nil {
			d.out, d.aborted = nil, true
		}
	}()
	d.pos = skipSpace(d.data, 0)
	if d.pos >= len(d.data) {
		return
	}
	if isStructType(t) && d.data[d.pos] == 'n' {
		d.add("type", "object", "must be an object")
		d.aborted = true
		return
	}
	d.value(t)
}

func (d *diagnoser) add(rule, param, msg string) {
	if len(d.out) < MaxViolations {
		d.out = append(d.out, result.Violation{Pointer: string(d.ptr), Rule: rule, Param: param, Message: msg})
	}
}

func (d *diagnoser) mismatch(t reflect.Type) {
	param, msg := expected(t)
	d.add("type", param, msg)
}

// indirect is encoding/json's indirect on a settable value of type t: it
// finds the json.Unmarshaler or encoding.TextUnmarshaler that will decode
// the value (returned as the pointer type that implements it), or else the
// type under the pointers. For null, a pointer is set to nil and only
// UnmarshalJSON on a non-pointer type is still called.
func indirect(t reflect.Type, null bool) (base, unmarshaler reflect.Type, text bool) {
	if t.Kind() != reflect.Pointer && t.Name() != "" {
		pt := reflect.PointerTo(t)
		if pt.Implements(unmarshalerType) {
			return t, pt, false
		}
		if !null && pt.Implements(textUnmarshalerType) {
			return t, pt, true
		}
		return t, nil, false
	}
	for t.Kind() == reflect.Pointer {
		if null {
			return t, nil, false
		}
		if t.Implements(unmarshalerType) {
			return t.Elem(), t, false
		}
		if t.Implements(textUnmarshalerType) {
			return t.Elem(), t, true
		}
		t = t.Elem()
	}
	return t, nil, false
}

func (d *diagnoser) value(t reflect.Type) {
	d.pos = skipSpace(d.data, d.pos)
	start := d.pos
	c := d.data[start]
	base, u, text := indirect(t, c == 'n')
	if u != nil {
		if !text {
			d.skip()
			d.unmarshalJSON(u, base, d.data[start:d.pos])
			return
		}
		if c != '"' {
			d.skip()
			d.add("type", "string", "must be a string")
			return
		}
		d.unmarshalText(u, base, d.str())
		return
	}
	switch c {
	case '{':
		d.object(base)
	case '[':
		d.array(base)
	case '"':
		d.stringValue(base, d.str())
	case 'n':
		d.skip()
	case 't', 'f':
		d.skip()
		switch {
		case base.Kind() == reflect.Bool:
		case base.Kind() == reflect.Interface && base.NumMethod() == 0:
		default:
			d.mismatch(base)
		}
	default:
		d.skip()
		d.number(base, string(d.data[start:d.pos]), false)
	}
}

func (d *diagnoser) object(t reflect.Type) {
	var si *structInfo
	var keyType reflect.Type
	elem := t
	switch {
	case t.Kind() == reflect.Interface && t.NumMethod() == 0:
		elem, keyType = anyType, reflect.TypeFor[string]()
	case t.Kind() == reflect.Map:
		keyType, elem = t.Key(), t.Elem()
		switch keyType.Kind() {
		case reflect.String,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		default:
			if !reflect.PointerTo(keyType).Implements(textUnmarshalerType) {
				d.skip()
				d.mismatch(t)
				return
			}
		}
	case t.Kind() == reflect.Struct:
		si = d.v.structInfoOf(t)
	default:
		d.skip()
		d.mismatch(t)
		return
	}

	d.pos++ // {
	for {
		d.pos = skipSpace(d.data, d.pos)
		if d.data[d.pos] == '}' {
			d.pos++
			return
		}
		rawKey := d.str()
		key := unquote(rawKey)
		d.pos = skipSpace(d.data, d.pos) + 1 // :
		mark := len(d.ptr)
		d.ptr = appendPointerTokenBytes(d.ptr, key)
		switch {
		case si == nil:
			d.value(elem)
			d.mapKey(keyType, key)
		default:
			f := si.field(key)
			switch {
			case f == nil:
				if d.disallowUnknown {
					d.add("unknown", "", "is not an allowed field")
				}
				d.skip()
			case !settable(t, f.index):
				// encoding/json cannot allocate an embedded pointer to an
				// unexported struct: the type, not the client, is at fault,
				// but the member still cannot be accepted.
				d.add("type", "", "cannot be set in a request")
				d.skip()
			case f.quoted:
				d.quoted(f.typ)
			default:
				d.value(f.typ)
			}
		}
		d.ptr = d.ptr[:mark]
		d.pos = skipSpace(d.data, d.pos)
		if d.data[d.pos] == ',' {
			d.pos++
			continue
		}
		d.pos++ // }
		return
	}
}

// settable reports whether encoding/json can reach the field at index from
// the struct type t: not through an embedded pointer to an unexported
// struct, which it cannot allocate.
func settable(t reflect.Type, index []int) bool {
	for i, ind := range index {
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		sf := t.Field(ind)
		if i < len(index)-1 && sf.Type.Kind() == reflect.Pointer && !sf.IsExported() {
			return false
		}
		t = sf.Type
	}
	return true
}

// mapKey checks that an object key converts to the map's key type.
func (d *diagnoser) mapKey(kt reflect.Type, key []byte) {
	if reflect.PointerTo(kt).Implements(textUnmarshalerType) {
		tu := reflect.New(kt).Interface().(encoding.TextUnmarshaler)
		if err := callSafely(func() error { return tu.UnmarshalText(key) }); err != nil {
			d.aborted = true
			d.add("format", "", "has a key that is not valid")
		}
		return
	}
	switch kt.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if _, ok := parseKey(kt, string(key)); !ok {
			lo, hi := intRange(kt)
			d.add("type", "integer", "must have a key that is an integer between "+lo+" and "+hi)
		}
	}
}

func (d *diagnoser) array(t reflect.Type) {
	elem := t
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.skip()
			d.mismatch(t)
			return
		}
		elem = anyType
	case reflect.Slice, reflect.Array:
		elem = t.Elem()
	default:
		d.skip()
		d.mismatch(t)
		return
	}
	d.pos++ // [
	for i := 0; ; i++ {
		d.pos = skipSpace(d.data, d.pos)
		if d.data[d.pos] == ']' {
			d.pos++
			return
		}
		mark := len(d.ptr)
		d.ptr = append(d.ptr, '/')
		d.ptr = strconv.AppendInt(d.ptr, int64(i), 10)
		if t.Kind() == reflect.Array && i >= t.Len() {
			d.skip() // encoding/json drops the extra elements of an array
		} else {
			d.value(elem)
		}
		d.ptr = d.ptr[:mark]
		d.pos = skipSpace(d.data, d.pos)
		if d.data[d.pos] == ',' {
			d.pos++
			continue
		}
		d.pos++ // ]
		return
	}
}

// stringValue checks a JSON string, raw with its quotes, against t.
func (d *diagnoser) stringValue(t reflect.Type, raw []byte) {
	switch t.Kind() {
	case reflect.String:
		if t == numberType && !isValidNumber(string(unquote(raw))) {
			d.aborted = true
			d.add("type", "number", "must be a number")
		}
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 {
			d.mismatch(t)
			return
		}
		s := unquote(raw)
		if _, err := base64.StdEncoding.DecodeString(string(s)); err != nil {
			d.add("type", "string", "must be a base64-encoded string")
		}
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.mismatch(t)
		}
	default:
		d.mismatch(t)
	}
}

// number checks the number literal s against t.
func (d *diagnoser) number(t reflect.Type, s string, quoted bool) {
	suffix, intParam, numParam := "", "integer", "number"
	if quoted {
		// The client must send a JSON string: that is the type to name.
		suffix, intParam, numParam = ", written as a JSON string", "string", "string"
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.mismatch(t)
			return
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			d.add("type", numParam, floatRange(64)+suffix)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || reflect.New(t).Elem().OverflowInt(n) {
			d.add("type", intParam, integerMessage(t, s)+suffix)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || reflect.New(t).Elem().OverflowUint(n) {
			d.add("type", intParam, integerMessage(t, s)+suffix)
		}
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(s, t.Bits())
		if err != nil || reflect.New(t).Elem().OverflowFloat(n) {
			d.add("type", numParam, floatRange(t.Bits())+suffix)
		}
	case reflect.String:
		if t == numberType {
			return
		}
		if quoted {
			d.aborted = true
		}
		d.mismatch(t)
	default:
		if quoted {
			d.aborted = true
		}
		d.mismatch(t)
	}
}

// quoted checks a field with the ",string" option: its value is a JSON
// string holding the literal, or null.
func (d *diagnoser) quoted(t reflect.Type) {
	d.pos = skipSpace(d.data, d.pos)
	c := d.data[d.pos]
	if c == 'n' {
		d.value(t)
		return
	}
	if c != '"' {
		d.skip()
		_, msg := expected(t)
		d.add("type", "string", msg+", written as a JSON string")
		return
	}
	item := unquote(d.str())
	bad := func(hard bool) {
		if hard {
			d.aborted = true
		}
		_, msg := expected(t)
		d.add("type", "string", msg+", written as a JSON string")
	}
	if len(item) == 0 {
		bad(false)
		return
	}
	base, u, text := indirect(t, item[0] == 'n')
	if u != nil {
		if !text {
			d.unmarshalJSON(u, base, item)
		} else if item[0] != '"' {
			bad(false)
		} else {
			d.unmarshalText(u, base, item)
		}
		return
	}
	switch c := item[0]; {
	case c == 'n':
		if string(item) != "null" {
			bad(false)
		}
	case c == 't' || c == 'f':
		if string(item) != "true" && string(item) != "false" {
			bad(false)
			return
		}
		if base.Kind() != reflect.Bool && !(base.Kind() == reflect.Interface && base.NumMethod() == 0) {
			bad(false)
		}
	case c == '"':
		s, ok := unquoteChecked(item)
		if !ok {
			bad(true)
			return
		}
		switch base.Kind() {
		case reflect.String:
			if base == numberType && !isValidNumber(string(s)) {
				bad(true)
			}
		case reflect.Interface:
			if base.NumMethod() != 0 {
				bad(false)
			}
		default:
			bad(false)
		}
	case c == '-' || ('0' <= c && c <= '9'):
		d.number(base, string(item), true)
	default:
		bad(true)
	}
}

// unmarshalJSON runs the type's own UnmarshalJSON on raw, as encoding/json
// did, to find out whether this value is the one it rejected.
func (d *diagnoser) unmarshalJSON(u, base reflect.Type, raw []byte) {
	m := reflect.New(u.Elem()).Interface().(json.Unmarshaler)
	if err := callSafely(func() error { return m.UnmarshalJSON(raw) }); err != nil {
		d.aborted = true
		d.add("format", "", unmarshalMessage(base, err))
	}
}

func (d *diagnoser) unmarshalText(u, base reflect.Type, raw []byte) {
	s, ok := unquoteChecked(raw)
	if !ok {
		d.aborted = true
		d.add("type", "string", "must be a string")
		return
	}
	m := reflect.New(u.Elem()).Interface().(encoding.TextUnmarshaler)
	if err := callSafely(func() error { return m.UnmarshalText(s) }); err != nil {
		d.aborted = true
		d.add("format", "", unmarshalMessage(base, err))
	}
}

// callSafely runs a type's own unmarshal method, turning a panic into an
// error: the diagnoser is reporting on bad input, not failing with it.
func callSafely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("panic in unmarshal method")
		}
	}()
	return fn()
}

// unmarshalMessage words the failure of a type's own unmarshal method. Its
// error text is not shown, since it may describe the server's internals,
// unless it is a *result.Error, whose message is meant for clients.
func unmarshalMessage(t reflect.Type, err error) string {
	if e := result.As(err); e != nil && e.Message != "" {
		return e.Message
	}
	if t.ConvertibleTo(timeType) {
		return "must be a date and time in RFC 3339 format, such as 2006-01-02T15:04:05Z"
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Type != nil {
		_, msg := expected(te.Type)
		return msg
	}
	return "is not a valid value"
}

// expected words the JSON a value of type t must be: the JSON type as the
// violation's param, and the message.
func expected(t reflect.Type) (param, msg string) {
	if t == nil {
		return "", "has an unexpected type"
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.ConvertibleTo(timeType) {
		return "string", "must be a date and time in RFC 3339 format, such as 2006-01-02T15:04:05Z"
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) && !reflect.PointerTo(t).Implements(unmarshalerType) {
		return "string", "must be a string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean", "must be a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "integer", "must be an integer"
	case reflect.Float32, reflect.Float64:
		return "number", "must be a number"
	case reflect.String:
		if t == numberType {
			return "number", "must be a number"
		}
		return "string", "must be a string"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string", "must be a base64-encoded string"
		}
		return "array", "must be an array"
	case reflect.Array:
		return "array", "must be an array"
	case reflect.Map, reflect.Struct:
		return "object", "must be an object"
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return "", "has an unexpected type"
		}
	}
	return "", "cannot be set in a request"
}

// integerMessage words an integer literal s that does not fit t: "must be
// an integer" for 1.5 or 1e3, the range for one too large.
func integerMessage(t reflect.Type, s string) string {
	if strings.ContainsAny(s, ".eE") {
		return "must be an integer"
	}
	lo, hi := intRange(t)
	return "must be an integer between " + lo + " and " + hi
}

func intRange(t reflect.Type) (lo, hi string) {
	bits := t.Bits()
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(-1<<(bits-1), 10), strconv.FormatInt(1<<(bits-1)-1, 10)
	}
	return "0", strconv.FormatUint(1<<bits-1, 10)
}

func floatRange(bits int) string {
	m := math.MaxFloat64
	if bits == 32 {
		m = math.MaxFloat32
	}
	s := strconv.FormatFloat(m, 'g', 2, 64)
	return "must be a number between -" + s + " and " + s
}

// str returns the JSON string at d.pos, raw with its quotes, and moves past it.
func (d *diagnoser) str() []byte {
	start := d.pos
	i := start + 1
	for i < len(d.data) {
		switch d.data[i] {
		case '\\':
			i += 2
			continue
		case '"':
			d.pos = i + 1
			return d.data[start:d.pos]
		}
		i++
	}
	d.pos = len(d.data)
	return d.data[start:]
}

// skip moves past the value at d.pos. The document is known to be valid
// JSON, so only strings and nesting need care; it does not recurse, so
// deep nesting costs no stack.
func (d *diagnoser) skip() {
	d.pos = skipSpace(d.data, d.pos)
	if d.pos >= len(d.data) {
		return
	}
	switch d.data[d.pos] {
	case '"':
		d.str()
	case '{', '[':
		depth := 0
		for d.pos < len(d.data) {
			switch d.data[d.pos] {
			case '"':
				d.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					d.pos++
					return
				}
			}
			d.pos++
		}
	default:
		for d.pos < len(d.data) {
			switch d.data[d.pos] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			d.pos++
		}
	}
}

// unquote returns the text of a JSON string, raw with its quotes. Most
// keys have no escapes and come back as they are.
func unquote(raw []byte) []byte {
	s, _ := unquoteChecked(raw)
	return s
}

func unquoteChecked(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c == '"' || c < ' ' {
			plain = false
			break
		}
	}
	// encoding/json turns invalid UTF-8 into U+FFFD; so does Unmarshal.
	if plain && utf8.Valid(inner) {
		return inner, true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, false
	}
	return []byte(s), true
}

// isValidNumber reports whether s is a JSON number literal.
func isValidNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		for s != "" && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for s != "" && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for s != "" && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}
