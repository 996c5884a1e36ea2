package validate

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/hardenkit/harden/result"
)

// only returns the single violation in err.
func only(t *testing.T, err error) result.Violation {
	t.Helper()
	e := resultAs(err)
	if e == nil {
		t.Fatalf("got %v (%T), want a *result.Error", err, err)
	}
	if len(e.Violations) != 1 {
		t.Fatalf("got %d violations %+v, want 1", len(e.Violations), e.Violations)
	}
	return e.Violations[0]
}

func TestVarMessages(t *testing.T) {
	t.Parallel()
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(time.Hour)
	tests := []struct {
		value any
		tag   string
		rule  string
		param string
		msg   string
	}{
		{"", "required", "required", "", "is required"},
		{(*string)(nil), "required", "required", "", "is required"},
		{[]int(nil), "required", "required", "", "is required"},
		{"x", "isdefault", "isdefault", "", "must be empty"},

		// Sizes: characters for strings, items for collections, values for numbers.
		{"ab", "min=3", "min", "3", "must be at least 3 characters"},
		{"", "min=1", "min", "1", "must be at least 1 character"},
		{"héllo!", "max=5", "max", "5", "must be at most 5 characters"},
		{"abc", "len=2", "len", "2", "must be exactly 2 characters"},
		{[]int{}, "min=1", "min", "1", "must contain at least 1 item"},
		{[]int{1, 2, 3}, "max=2", "max", "2", "must contain at most 2 items"},
		{map[string]int{"a": 1}, "len=2", "len", "2", "must contain exactly 2 items"},
		{[2]int{}, "len=3", "len", "3", "must contain exactly 3 items"},
		{2, "min=3", "min", "3", "must be at least 3"},
		{1.5, "max=1", "max", "1", "must be at most 1"},
		{uint8(4), "len=5", "len", "5", "must be equal to 5"},
		{4, "eq=5", "eq", "5", "must be equal to 5"},
		{5, "ne=5", "ne", "5", "must not be equal to 5"},
		{5, "gt=5", "gt", "5", "must be greater than 5"},
		{4, "gte=5", "gte", "5", "must be at least 5"},
		{5, "lt=5", "lt", "5", "must be less than 5"},
		{6, "lte=5", "lte", "5", "must be at most 5"},
		{"abc", "gt=3", "gt", "3", "must be longer than 3 characters"},
		{"abc", "lt=3", "lt", "3", "must be shorter than 3 characters"},
		{"ab", "gte=3", "gte", "3", "must be at least 3 characters"},
		{"abcd", "lte=3", "lte", "3", "must be at most 3 characters"},
		{[]int{1}, "gt=1", "gt", "1", "must contain more than 1 item"},
		{[]int{1}, "lt=1", "lt", "1", "must contain fewer than 1 item"},
		{[]int{1}, "ne=1", "ne", "1", "must not contain exactly 1 item"},
		{"abc", "eq=abd", "eq", "abd", `must be equal to "abd"`},
		{"abc", "ne=abc", "ne", "abc", `must not be equal to "abc"`},
		{"ABC", "eq_ignore_case=abd", "eq_ignore_case", "abd", `must be equal to "abd" (ignoring case)`},
		{"ABC", "ne_ignore_case=abc", "ne_ignore_case", "abc", `must not be equal to "abc" (ignoring case)`},
		{past, "gt", "gt", "", "must be in the future"},
		{past, "gte", "gte", "", "must be now or in the future"},
		{future, "lt", "lt", "", "must be in the past"},
		{future, "lte", "lte", "", "must be now or in the past"},
		{time.Minute, "min=1h", "min", "1h", "must be at least 1h"},

		{"archived", "oneof=draft published", "oneof", "draft published", "must be one of: draft published"},
		{"X", "oneofci=a b", "oneofci", "a b", "must be one of (ignoring case): a b"},
		{"a", "noneof=a b", "noneof", "a b", "must not be one of: a b"},
		{"not-an-email", "email", "email", "", "must be a valid email address"},
		{"::", "url", "url", "", "must be a valid URL"},
		{"ftp://x", "http_url", "http_url", "", "must be a valid http or https URL"},
		{"::", "uri", "uri", "", "must be a valid URI"},
		{"nope", "uuid", "uuid", "", "must be a valid UUID"},
		{"nope", "uuid4", "uuid4", "", "must be a valid version 4 UUID"},
		{"nope", "uuid7", "uuid7", "", "must be a valid version 7 UUID"},
		{"nope", "ulid", "ulid", "", "must be a valid ULID"},
		{"a-b", "alpha", "alpha", "", "must contain only letters (A-Z, a-z)"},
		{"a-b", "alphanum", "alphanum", "", "must contain only letters and digits (A-Z, a-z, 0-9)"},
		{"a-b", "alphaunicode", "alphaunicode", "", "must contain only letters"},
		{"1a", "numeric", "numeric", "", "must be a number"},
		{"1.5", "number", "number", "", "must contain only digits"},
		{"zz", "hexadecimal", "hexadecimal", "", "must be a hexadecimal number"},
		{"blue", "hexcolor", "hexcolor", "", "must be a hex color, such as #1e90ff"},
		{"blue", "iscolor", "iscolor", "", "must be a color"},
		{"2024-13-01", "datetime=2006-01-02", "datetime", "2006-01-02", "must be a date and time in the format 2006-01-02"},
		{"Mars/Olympus", "timezone", "timezone", "", "must be a valid time zone, such as Europe/Paris"},
		{"1.2.3.4.5", "ip", "ip", "", "must be a valid IP address"},
		{"::1", "ipv4", "ipv4", "", "must be a valid IPv4 address"},
		{"1.2.3.4", "ipv6", "ipv6", "", "must be a valid IPv6 address"},
		{"10.0.0.0", "cidr", "cidr", "", "must be a valid CIDR network, such as 10.0.0.0/8"},
		{"-bad-", "hostname", "hostname", "", "must be a valid hostname"},
		{"-bad-", "hostname_rfc1123", "hostname_rfc1123", "", "must be a valid hostname"},
		{"localhost", "fqdn", "fqdn", "", "must be a fully qualified domain name"},
		{"example.com", "hostname_port", "hostname_port", "", "must be a host and port, such as example.com:443"},
		{"0712345678", "e164", "e164", "", "must be a phone number in E.164 format, such as +14155552671"},
		{"abc", "startswith=x", "startswith", "x", `must start with "x"`},
		{"abc", "endswith=x", "endswith", "x", `must end with "x"`},
		{"xbc", "startsnotwith=x", "startsnotwith", "x", `must not start with "x"`},
		{"abx", "endsnotwith=x", "endsnotwith", "x", `must not end with "x"`},
		{"abc", "contains=x", "contains", "x", `must contain "x"`},
		{"abc", "containsany=xyz", "containsany", "xyz", `must contain at least one of the characters "xyz"`},
		{"abc", "excludes=b", "excludes", "b", `must not contain "b"`},
		{"abc", "excludesall=xb", "excludesall", "xb", `must not contain any of the characters "xb"`},
		{[]int{1, 1}, "unique", "unique", "", "must not contain duplicate values"},
		{"Abc", "lowercase", "lowercase", "", "must be lowercase"},
		{"abc", "uppercase", "uppercase", "", "must be uppercase"},
		{"é", "ascii", "ascii", "", "must contain only ASCII characters"},
		{"{", "json", "json", "", "must be valid JSON"},
		{"!", "base64", "base64", "", "must be base64-encoded"},
		{"XX", "iso3166_1_alpha2", "iso3166_1_alpha2", "", "must be a two-letter ISO 3166-1 country code"},
		{"XX", "country_code", "country_code", "", "must be an ISO 3166-1 country code"},
		{"ABC", "iso4217", "iso4217", "", "must be a three-letter ISO 4217 currency code"},
		{"1.2", "semver", "semver", "", "must be a semantic version, such as 1.2.3"},
		{"nope", "mac", "mac", "", "must be a valid MAC address"},
		{"nope", "md5", "md5", "", "must be a valid MD5 hash"},
		{"nope", "sha256", "sha256", "", "must be a valid SHA256 hash"},
		{"nope", "jwt", "jwt", "", "must be a JSON Web Token"},
		{"91", "latitude", "latitude", "", "must be a valid latitude"},
		{"nope", "bcp47_language_tag", "bcp47_language_tag", "", "must be a valid BCP 47 language tag, such as en-US"},
		{"1234", "credit_card", "credit_card", "", "must be a valid credit card number"},
		{"x", "boolean", "boolean", "", "must be a boolean (true or false)"},
		{99999, "port", "port", "", "must be a valid port number"},

		// Alternatives list every rule.
		{"nope", "ipv4|email", "ipv4|email", "", "must be a valid IPv4 address, or must be a valid email address"},
		{"ab", "len=0|min=3", "len=0|min=3", "", "must be exactly 0 characters, or must be at least 3 characters"},

		// Any other rule gets a sensible default.
		{"!!", "spicedb=id", "spicedb", "id", "must satisfy spicedb"},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			t.Parallel()
			v := only(t, Var(tt.value, tt.tag))
			if v.Rule != tt.rule || v.Param != tt.param || v.Message != tt.msg {
				t.Errorf("Var(%#v, %q) = {rule %q param %q message %q}, want {%q %q %q}",
					tt.value, tt.tag, v.Rule, v.Param, v.Message, tt.rule, tt.param, tt.msg)
			}
		})
	}
}

type requiredForm struct {
	Kind    string    `json:"kind"`
	Email   string    `json:"email"`
	Phone   string    `json:"phone"`
	A       string    `json:"a" validate:"required_with=Email Phone"`
	B       string    `json:"b" validate:"required_with_all=Email Phone"`
	C       string    `json:"c" validate:"required_without_all=Email Phone"`
	D       string    `json:"d" validate:"required_unless=Kind note"`
	E       string    `json:"e" validate:"excluded_if=Kind note"`
	F       string    `json:"f" validate:"excluded_with=Email"`
	G       int       `json:"g" validate:"gtfield=H"`
	H       int       `json:"h"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end" validate:"gtfield=Start"`
	Nested  *struct{} `json:"nested" validate:"required"`
	Address struct {
		City string `json:"city" validate:"required"`
	} `json:"address" validate:"required"`
}

func TestConditionalMessages(t *testing.T) {
	t.Parallel()
	now := time.Now()
	f := requiredForm{
		Kind: "note", Email: "a@b.c", Phone: "+1",
		E: "x", F: "y", G: 1, H: 2, Start: now, End: now,
	}
	e := resultAs(Struct(f))
	if e == nil {
		t.Fatal("want a validation error")
	}
	want := map[string]string{
		"/a":       "is required when email or phone is present",
		"/b":       "is required when email and phone are all present",
		"/e":       "must not be set when kind is note",
		"/f":       "must not be set when email is present",
		"/g":       "must be greater than h",
		"/end":     "must be after start",
		"/nested":  "is required",
		"/address": "is required",
	}
	got := map[string]string{}
	for _, v := range e.Violations {
		got[v.Pointer] = v.Message
	}
	for p, msg := range want {
		if got[p] != msg {
			t.Errorf("%s: message %q, want %q", p, got[p], msg)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected violation at %s: %q", p, got[p])
		}
	}

	f = requiredForm{Kind: "task", H: -1, Nested: &struct{}{}}
	f.Address.City = "x"
	got = map[string]string{}
	for _, v := range resultAs(Struct(f)).Violations {
		got[v.Pointer] = v.Message
	}
	if got["/c"] != "is required when email and phone are all missing" {
		t.Errorf("/c: %q", got["/c"])
	}
	if got["/d"] != "is required unless kind is note" {
		t.Errorf("/d: %q", got["/d"])
	}
}

func TestMessageOverrides(t *testing.T) {
	t.Parallel()
	v := New(&Options{Messages: map[string]MessageFunc{
		"min": func(f Failure) string {
			if f.Kind == reflect.String {
				return "needs " + f.Param + "+ letters"
			}
			return DefaultMessage(f)
		},
		"email": Message("is not an email address we can reach"),
		"nil":   nil, // ignored
	}})
	if got := only(t, v.Var("ab", "min=3")).Message; got != "needs 3+ letters" {
		t.Errorf("string min override = %q", got)
	}
	if got := only(t, v.Var(1, "min=3")).Message; got != "must be at least 3" {
		t.Errorf("fallback to DefaultMessage = %q", got)
	}
	if got := only(t, v.Var("x", "email")).Message; got != "is not an email address we can reach" {
		t.Errorf("email override = %q", got)
	}
	// The override applies inside a list of alternatives too.
	if got := only(t, v.Var("x", "email|ipv4")).Message; got != "is not an email address we can reach, or must be a valid IPv4 address" {
		t.Errorf("alternatives = %q", got)
	}
	// Other Validators keep the built-in messages.
	if got := only(t, Var("x", "email")).Message; got != "must be a valid email address" {
		t.Errorf("default Validator = %q", got)
	}
}

func TestFailureFields(t *testing.T) {
	t.Parallel()
	var seen Failure
	v := New(&Options{Messages: map[string]MessageFunc{
		"max": func(f Failure) string { seen = f; return "too long" },
	}})
	type form struct {
		Tags []string `json:"tags" validate:"dive,max=2"`
	}
	only(t, v.Struct(form{Tags: []string{"abc"}}))
	want := Failure{Pointer: "/tags/0", Rule: "max", Param: "2", Kind: reflect.String, Type: reflect.TypeFor[string](), Value: "abc"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("Failure = %+v, want %+v", seen, want)
	}
}

func TestDefaultMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    Failure
		want string
	}{
		{Failure{Rule: "required"}, "is required"},
		{Failure{Rule: "min", Param: "2", Kind: reflect.Slice}, "must contain at least 2 items"},
		{Failure{Rule: "made_up"}, "must satisfy made_up"},
		{Failure{Rule: "ip|made_up"}, "must be a valid IP address, or must satisfy made_up"},
		{Failure{Rule: "eqfield"}, "must match the other field"},
		{Failure{Rule: "required_if"}, "is required"},
	}
	for _, tt := range tests {
		if got := DefaultMessage(tt.f); got != tt.want {
			t.Errorf("DefaultMessage(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestCustomRuleAndAlias(t *testing.T) {
	t.Parallel()
	v := New(nil)
	even := func(fl validator.FieldLevel) bool { return fl.Field().Int()%2 == 0 }
	if err := v.RegisterRule("even", even, Message("must be an even number")); err != nil {
		t.Fatal(err)
	}
	if err := v.RegisterRule("even_nomsg", even, nil); err != nil {
		t.Fatal(err)
	}
	if err := v.RegisterAlias("status", "oneof=draft published", nil); err != nil {
		t.Fatal(err)
	}
	if err := v.RegisterAlias("slug", "lowercase,alphanum", Message("must be a slug")); err != nil {
		t.Fatal(err)
	}
	type form struct {
		N      int    `json:"n" validate:"even"`
		M      int    `json:"m" validate:"even_nomsg"`
		Status string `json:"status" validate:"status"`
		Slug   string `json:"slug" validate:"slug"`
	}
	e := resultAs(v.Struct(form{N: 3, M: 3, Status: "gone", Slug: "Nope"}))
	if e == nil || len(e.Violations) != 4 {
		t.Fatalf("got %v, want 4 violations", e)
	}
	want := []result.Violation{
		{Pointer: "/n", Rule: "even", Message: "must be an even number"},
		{Pointer: "/m", Rule: "even_nomsg", Message: "must satisfy even_nomsg"},
		{Pointer: "/status", Rule: "status", Param: "draft published", Message: "must be one of: draft published"},
		{Pointer: "/slug", Rule: "slug", Message: "must be a slug"},
	}
	for i, w := range want {
		if e.Violations[i] != w {
			t.Errorf("violation %d = %+v, want %+v", i, e.Violations[i], w)
		}
	}
	// The package-level Struct does not know the custom rule: a bug, not bad input.
	err := Struct(form{})
	if err == nil || resultAs(err) != nil || !strings.Contains(err.Error(), "validate: Struct") {
		t.Errorf("Struct with an unknown rule = %v, want a plain validate: error", err)
	}
}

// A rule or alias that reuses the name of a built-in rule means something
// else: the built-in's message would tell the client to fix the wrong thing.
func TestRulesReusingBuiltinNames(t *testing.T) {
	t.Parallel()
	v := New(nil)
	never := func(validator.FieldLevel) bool { return false }
	if err := v.RegisterRule("port", never, nil); err != nil {
		t.Fatal(err)
	}
	if err := v.RegisterAlias("number", "oneof=one two", nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ value, tag, want string }{
		{"8080", "port", "must satisfy port"},
		{"three", "number", "must be one of: one two"},
	}
	for _, tt := range tests {
		e := resultAs(v.Var(tt.value, tt.tag))
		if e == nil || len(e.Violations) != 1 || e.Violations[0].Message != tt.want {
			t.Errorf("Var(%q, %q) = %v, want the message %q", tt.value, tt.tag, e, tt.want)
		}
	}
	// validator's own aliases keep their built-in messages.
	if e := resultAs(v.Var("blue", "iscolor")); e == nil || e.Violations[0].Message != "must be a color" {
		t.Errorf("Var(blue, iscolor) = %v, want must be a color", e)
	}
}
