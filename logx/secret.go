package logx

import (
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Redacted is what logx writes in place of a secret: the value of a
// denylisted key and every rendering of a [Secret].
const Redacted = "[REDACTED]"

// Secret is a string that never shows its value: it logs, prints, formats,
// and marshals to JSON or text as [Redacted]. Use it for credentials held in
// structs and configuration, so that logging or printing the struct by
// accident does not leak them. Reveal (or a conversion to string) returns the
// value when it is really needed.
//
// Secret is a plain string type: its zero value is the empty secret, it
// decodes from JSON like a string, and it is safe for concurrent use. Its
// methods hide it wherever fmt, encoding/json and slog call them: as a value,
// behind a pointer, in an exported struct field, in slices and map values.
// The string shows where they cannot: in an unexported struct field printed
// by fmt (or slog's text handler), in a map key written by encoding/json, and
// in fmt's bad-verb form of %p. Keep secrets in exported fields.
type Secret string

var (
	_ slog.LogValuer         = Secret("")
	_ fmt.Stringer           = Secret("")
	_ fmt.GoStringer         = Secret("")
	_ fmt.Formatter          = Secret("")
	_ json.Marshaler         = Secret("")
	_ encoding.TextMarshaler = Secret("")
)

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// LogValue implements [slog.LogValuer]: a Secret logs as [Redacted].
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// String implements [fmt.Stringer]: it returns [Redacted].
func (Secret) String() string { return Redacted }

// GoString implements [fmt.GoStringer]: it returns [Redacted].
func (Secret) GoString() string { return Redacted }

// Format implements [fmt.Formatter], so every verb and flag (%v, %+v, %#v,
// %s, %q, %x, %X, ...) prints [Redacted].
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, Redacted) }

// MarshalJSON implements [json.Marshaler]: a Secret marshals as the JSON
// string "[REDACTED]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements [encoding.TextMarshaler]: a Secret marshals as
// [Redacted].
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
