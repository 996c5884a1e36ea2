package validate

import (
	"cmp"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Failure is one rule a value failed, as a MessageFunc sees it.
type Failure struct {
	// Pointer locates the value in the JSON document, such as "/items/0/name".
	Pointer string
	// Rule is the tag that failed, as written in the struct tag: "min",
	// "email", an alias, or "a|b" for a list of alternatives.
	Rule string
	// Param is the rule's parameter, such as "3" for min=3. Cross-field
	// rules name fields by their JSON names: "password" for eqfield=Password.
	Param string
	// Kind is the kind of the checked value after pointers: reflect.String,
	// reflect.Int, reflect.Slice … It is reflect.Ptr for a nil pointer.
	Kind reflect.Kind
	// Type is the type of the checked value, or nil if it is unknown.
	Type reflect.Type
	// Value is the checked value. It comes from the client: quote it, if you
	// show it at all.
	Value any
	// Key reports that the rule checked a map key (a dive with keys …
	// endkeys) rather than a value. Pointer then names the member, as a key
	// has no pointer of its own; the built-in messages start with "key ".
	Key bool
}

// MessageFunc returns the English message a client sees for a failure,
// such as "must be at least 3 characters". It describes the value, not the
// field: a client shows it next to the field the pointer names.
type MessageFunc func(f Failure) string

// Message returns a MessageFunc that always returns msg, for overrides
// that need no parameter: Messages: map[string]validate.MessageFunc{
// "e164": validate.Message("must be a phone number such as +14155552671")}.
func Message(msg string) MessageFunc {
	return func(Failure) string { return msg }
}

// DefaultMessage returns the built-in message for f: an English message for
// validator's common rules, and "must satisfy <rule>" for any other. It
// ignores a Validator's overrides, so an override can fall back to it.
func DefaultMessage(f Failure) string {
	return new(Validator).message(f, "")
}

// message returns the message for f: the override for its rule, else the
// built-in message, the messages of a list of alternatives, or the message
// of the rule an alias stands for (actual).
func (v *Validator) message(f Failure, actual string) string {
	if fn := v.messages[f.Rule]; fn != nil {
		return fn(f)
	}
	key := ""
	if f.Key {
		key, f.Key = "key ", false
	}
	msg, builtin := builtinMessage(f)
	switch {
	case actual != "" && actual != f.Rule && (v.aliases[f.Rule] || !builtin):
		// An alias reports its own name as the rule; its message is that
		// of the rule inside it that failed, even when it reuses the name
		// of a built-in rule. (validator's own aliases, such as iscolor,
		// have built-in messages.)
		f.Rule = actual
		return key + v.message(f, "")
	case strings.Contains(f.Rule, "|"):
		parts := strings.Split(f.Rule, "|")
		for i, p := range parts {
			g := f
			g.Rule, g.Param, _ = strings.Cut(p, "=")
			parts[i] = v.message(g, "")
		}
		return key + strings.Join(parts, ", or ")
	case builtin:
		return key + msg
	}
	return key + "must satisfy " + f.Rule
}

// builtinMessage returns the English message for the rules validator
// ships with: worded from a table of phrasings for the rules whose message
// depends on the value or names other fields, else taken from the table of
// messages.
func builtinMessage(f Failure) (string, bool) {
	if c, ok := crossFields[strings.Replace(f.Rule, "csfield", "field", 1)]; ok {
		msg := c[0]
		if isTime(f.Type) {
			msg = c[1]
		}
		return fmt.Sprintf(msg, cmp.Or(f.Param, "the other field")), true
	}
	_, isComparison := comparisons[f.Rule]
	switch {
	case isComparison:
		return compare(f), true
	case strings.HasPrefix(f.Rule, "required_") || strings.HasPrefix(f.Rule, "excluded_") || f.Rule == "skip_unless":
		return conditional(f), true
	case f.Rule == "unique" && f.Param != "":
		return "must not contain two items with the same " + f.Param, true
	}
	msg, ok := messages[f.Rule]
	if ok && strings.Contains(msg, "%") {
		msg = fmt.Sprintf(msg, f.Param)
	}
	return msg, ok
}

// comparisons word the comparison rules for a number or other value, for
// the length of a string and of a collection, and for a time. An empty
// column falls back to the value's wording.
var comparisons = map[string]struct{ value, text, items, time string }{
	"min": {"must be at least %s", "must be at least %s", "must contain at least %s", ""},
	"max": {"must be at most %s", "must be at most %s", "must contain at most %s", ""},
	"len": {"must be equal to %s", "must be exactly %s", "must contain exactly %s", ""},
	"eq":  {"must be equal to %s", "", "must contain exactly %s", ""},
	"ne":  {"must not be equal to %s", "", "must not contain exactly %s", ""},
	"gt":  {"must be greater than %s", "must be longer than %s", "must contain more than %s", "must be in the future"},
	"gte": {"must be at least %s", "must be at least %s", "must contain at least %s", "must be now or in the future"},
	"lt":  {"must be less than %s", "must be shorter than %s", "must contain fewer than %s", "must be in the past"},
	"lte": {"must be at most %s", "must be at most %s", "must contain at most %s", "must be now or in the past"},
}

func compare(f Failure) string {
	c := comparisons[f.Rule]
	switch {
	case isTime(f.Type) && c.time != "":
		return c.time
	case f.Kind == reflect.String && c.text != "":
		return fmt.Sprintf(c.text, count(f.Param, "character"))
	case f.Kind == reflect.Slice || f.Kind == reflect.Array || f.Kind == reflect.Map:
		return fmt.Sprintf(c.items, count(f.Param, "item"))
	case f.Kind == reflect.String:
		return fmt.Sprintf(c.value, strconv.Quote(f.Param))
	}
	return fmt.Sprintf(c.value, f.Param)
}

func count(n, unit string) string {
	if n == "1" {
		return n + " " + unit
	}
	return n + " " + unit + "s"
}

func isTime(t reflect.Type) bool { return t != nil && t.ConvertibleTo(reflect.TypeFor[time.Time]()) }

// crossFields word a comparison with another field, for a value and for a
// time; the "cs" rules, which may name a field of another struct, read alike.
var crossFields = map[string][2]string{
	"eqfield":  {"must match %s", "must match %s"},
	"nefield":  {"must differ from %s", "must differ from %s"},
	"gtfield":  {"must be greater than %s", "must be after %s"},
	"gtefield": {"must be greater than or equal to %s", "must be on or after %s"},
	"ltfield":  {"must be less than %s", "must be before %s"},
	"ltefield": {"must be less than or equal to %s", "must be on or before %s"},

	"fieldcontains": {"must contain the value of %s", "must contain the value of %s"},
	"fieldexcludes": {"must not contain the value of %s", "must not contain the value of %s"},
}

// conditional words required_if, required_with and their kin, whose
// parameter holds field names, or field/value pairs: "is required when
// email or phone is present", "must not be set unless kind is note".
func conditional(f Failure) string {
	msg := "is required"
	if strings.HasPrefix(f.Rule, "excluded") {
		msg = "must not be set"
	}
	w := splitParams(f.Param)
	if fieldRules[f.Rule] == 2 {
		var pairs []string
		for i := 0; i+1 < len(w); i += 2 {
			pairs = append(pairs, w[i]+" is "+w[i+1])
		}
		switch {
		case len(pairs) == 0:
			return msg
		case strings.HasSuffix(f.Rule, "_unless") && f.Rule != "skip_unless":
			return msg + " unless " + strings.Join(pairs, " and ")
		}
		return msg + " when " + strings.Join(pairs, " and ")
	}
	state := "present"
	if strings.Contains(f.Rule, "without") {
		state = "missing"
	}
	switch {
	case len(w) == 0:
		return msg
	case len(w) == 1:
		return msg + " when " + w[0] + " is " + state
	case strings.HasSuffix(f.Rule, "_all"):
		return msg + " when " + list(w, "and") + " are all " + state
	}
	return msg + " when " + list(w, "or") + " is " + state
}

func list(w []string, conj string) string {
	return strings.Join(w[:len(w)-1], ", ") + " " + conj + " " + w[len(w)-1]
}

// messages holds the message of every other built-in rule; %s stands for
// the rule's parameter, %q for it quoted.
var messages = map[string]string{
	"required": "is required", "isdefault": "must be empty", "unique": "must not contain duplicate values",
	"eq_ignore_case": "must be equal to %q (ignoring case)", "ne_ignore_case": "must not be equal to %q (ignoring case)",
	"oneof": "must be one of: %s", "oneofci": "must be one of (ignoring case): %s",
	"noneof": "must not be one of: %s", "noneofci": "must not be one of (ignoring case): %s",
	"contains": "must contain %q", "containsrune": "must contain %q", "containsany": "must contain at least one of the characters %q",
	"excludes": "must not contain %q", "excludesrune": "must not contain %q", "excludesall": "must not contain any of the characters %q",
	"startswith": "must start with %q", "endswith": "must end with %q",
	"startsnotwith": "must not start with %q", "endsnotwith": "must not end with %q",
	"datetime": "must be a date and time in the format %s",

	"alpha": "must contain only letters (A-Z, a-z)", "alphaspace": "must contain only letters (A-Z, a-z) and spaces",
	"alphanum": "must contain only letters and digits (A-Z, a-z, 0-9)", "alphanumspace": "must contain only letters, digits and spaces",
	"alphaunicode": "must contain only letters", "alphanumunicode": "must contain only letters and digits",
	"ascii": "must contain only ASCII characters", "printascii": "must contain only printable ASCII characters",
	"multibyte": "must contain multibyte characters", "lowercase": "must be lowercase", "uppercase": "must be uppercase",
	"boolean": "must be a boolean (true or false)", "numeric": "must be a number", "number": "must contain only digits",
	"hexadecimal": "must be a hexadecimal number", "hexcolor": "must be a hex color, such as #1e90ff", "iscolor": "must be a color",
	"rgb": "must be an rgb() color", "rgba": "must be an rgba() color", "hsl": "must be an hsl() color",
	"hsla": "must be an hsla() color", "cmyk": "must be a cmyk() color",

	"e164": "must be a phone number in E.164 format, such as +14155552671", "email": "must be a valid email address",
	"url": "must be a valid URL", "http_url": "must be a valid http or https URL", "https_url": "must be a valid https URL",
	"uri": "must be a valid URI", "origin": "must be a valid origin, such as https://example.com",
	"urn_rfc2141": "must be a valid URN", "urn_rfc8141": "must be a valid URN", "url_encoded": "must be URL-encoded",
	"html": "must be HTML", "html_encoded": "must be HTML-encoded", "datauri": "must be a data URI",
	"file": "must be an existing file", "filepath": "must be a valid file path", "image": "must be an image file",
	"dir": "must be an existing directory", "dirpath": "must be a valid directory path",
	"mimetype": "must be a file of an allowed type", "base32": "must be base32-encoded", "base64": "must be base64-encoded",
	"base64url": "must be base64url-encoded", "base64rawurl": "must be base64url-encoded without padding",
	"json": "must be valid JSON", "jwt": "must be a JSON Web Token",

	"uuid": "must be a valid UUID", "uuid_rfc4122": "must be a valid RFC 4122 UUID", "ulid": "must be a valid ULID",
	"uuid3": "must be a valid version 3 UUID", "uuid3_rfc4122": "must be a valid version 3 UUID",
	"uuid4": "must be a valid version 4 UUID", "uuid4_rfc4122": "must be a valid version 4 UUID",
	"uuid5": "must be a valid version 5 UUID", "uuid5_rfc4122": "must be a valid version 5 UUID",
	"uuid7": "must be a valid version 7 UUID",
	"md4":   "must be a valid MD4 hash", "md5": "must be a valid MD5 hash", "sha256": "must be a valid SHA256 hash",
	"sha384": "must be a valid SHA384 hash", "sha512": "must be a valid SHA512 hash",
	"ripemd128": "must be a valid RIPEMD128 hash", "ripemd160": "must be a valid RIPEMD160 hash",
	"tiger128": "must be a valid TIGER128 hash", "tiger160": "must be a valid TIGER160 hash", "tiger192": "must be a valid TIGER192 hash",

	"ip": "must be a valid IP address", "ipv4": "must be a valid IPv4 address", "ipv6": "must be a valid IPv6 address",
	"cidr": "must be a valid CIDR network, such as 10.0.0.0/8", "cidrv4": "must be a valid IPv4 CIDR network, such as 10.0.0.0/8",
	"cidrv6": "must be a valid IPv6 CIDR network", "mac": "must be a valid MAC address",
	"ip_addr": "must be a resolvable IP address", "ip4_addr": "must be a resolvable IP address", "ip6_addr": "must be a resolvable IP address",
	"tcp_addr": "must be a resolvable TCP address", "tcp4_addr": "must be a resolvable TCP address", "tcp6_addr": "must be a resolvable TCP address",
	"udp_addr": "must be a resolvable UDP address", "udp4_addr": "must be a resolvable UDP address", "udp6_addr": "must be a resolvable UDP address",
	"unix_addr": "must be a valid Unix socket address", "port": "must be a valid port number",
	"hostname": "must be a valid hostname", "hostname_rfc1123": "must be a valid hostname", "hostname_label": "must be a valid hostname label",
	"fqdn": "must be a fully qualified domain name", "hostname_port": "must be a host and port, such as example.com:443",
	"dns_rfc1035_label": "must be a valid DNS label",

	"timezone": "must be a valid time zone, such as Europe/Paris", "duration": "must be a duration, such as 1h30m",
	"latitude": "must be a valid latitude", "longitude": "must be a valid longitude",
	"iso3166_1_alpha2": "must be a two-letter ISO 3166-1 country code", "iso3166_1_alpha2_eu": "must be a two-letter ISO 3166-1 code of an EU country",
	"iso3166_1_alpha3": "must be a three-letter ISO 3166-1 country code", "iso3166_1_alpha3_eu": "must be a three-letter ISO 3166-1 code of an EU country",
	"iso3166_1_alpha_numeric": "must be a numeric ISO 3166-1 country code", "iso3166_1_alpha_numeric_eu": "must be a numeric ISO 3166-1 code of an EU country",
	"country_code": "must be an ISO 3166-1 country code", "eu_country_code": "must be an ISO 3166-1 code of an EU country",
	"iso3166_2": "must be a valid ISO 3166-2 subdivision code", "iso4217": "must be a three-letter ISO 4217 currency code",
	"iso4217_numeric":    "must be a numeric ISO 4217 currency code",
	"bcp47_language_tag": "must be a valid BCP 47 language tag, such as en-US", "bcp47_strict_language_tag": "must be a valid BCP 47 language tag, such as en-US",
	"postcode_iso3166_alpha2": "must be a valid postal code", "postcode_iso3166_alpha2_field": "must be a valid postal code",
	"bic": "must be a valid BIC", "bic_iso_9362_2014": "must be a valid BIC", "semver": "must be a semantic version, such as 1.2.3",
	"credit_card": "must be a valid credit card number", "luhn_checksum": "must have a valid Luhn check digit",
	"isbn": "must be a valid ISBN", "isbn10": "must be a valid ISBN-10", "isbn13": "must be a valid ISBN-13", "issn": "must be a valid ISSN",
	"ssn": "must be a valid US social security number", "ein": "must be a valid US employer identification number",
	"cve": "must be a CVE identifier, such as CVE-2024-1234", "cron": "must be a valid cron expression",
	"mongodb": "must be a MongoDB ObjectId", "mongodb_connection_string": "must be a MongoDB connection string",
	"eth_addr": "must be an Ethereum address", "eth_addr_checksum": "must be an Ethereum address",
	"btc_addr": "must be a Bitcoin address", "btc_addr_bech32": "must be a Bitcoin address",
}
