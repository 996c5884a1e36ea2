package validate

import (
	"reflect"
	"strconv"
	"strings"
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
	return keyPrefix(f) + defaultMessage(f)
}

func defaultMessage(f Failure) string {
	if strings.Contains(f.Rule, "|") {
		return alternatives(f, defaultMessage)
	}
	if msg, ok := builtinMessage(f); ok {
		return msg
	}
	return "must satisfy " + f.Rule
}

func keyPrefix(f Failure) string {
	if f.Key {
		return "key "
	}
	return ""
}

// message returns the message for f: an override for its rule, or else
// the built-in message, the message of the rule an alias stands for
// (actual), or the messages of a list of alternatives.
func (v *Validator) message(f Failure, actual string) string {
	if fn := v.messages[f.Rule]; fn != nil {
		return fn(f)
	}
	g := f
	g.Key = false
	return keyPrefix(f) + v.plainMessage(g, actual)
}

func (v *Validator) plainMessage(f Failure, actual string) string {
	// An alias registered here reports its own name as the rule; its
	// message is that of the rule inside it that failed, even when the alias
	// reuses the name of a built-in rule. validator's own aliases (iscolor,
	// country_code) have built-in messages of their own.
	if actual != "" && actual != f.Rule && v.aliases[f.Rule] {
		g := f
		g.Rule = actual
		return v.ruleMessage(g)
	}
	if strings.Contains(f.Rule, "|") {
		return alternatives(f, v.ruleMessage)
	}
	if msg, ok := builtinMessage(f); ok {
		return msg
	}
	if actual != "" && actual != f.Rule {
		g := f
		g.Rule = actual
		return v.ruleMessage(g)
	}
	return "must satisfy " + f.Rule
}

// ruleMessage returns the message for a single rule: its override, or else
// the built-in message.
func (v *Validator) ruleMessage(f Failure) string {
	if fn := v.messages[f.Rule]; fn != nil {
		return fn(f)
	}
	return v.plainMessage(f, "")
}

// alternatives joins the messages of the rules in "a|b=1|c" with "or".
func alternatives(f Failure, msg func(Failure) string) string {
	parts := strings.Split(f.Rule, "|")
	for i, p := range parts {
		g := f
		g.Rule, g.Param, _ = strings.Cut(p, "=")
		parts[i] = msg(g)
	}
	return strings.Join(parts, ", or ")
}

// sizeUnit returns what a length-based rule counts for a value of kind k:
// characters of a string, items of a collection.
func sizeUnit(k reflect.Kind) (string, bool) {
	switch k {
	case reflect.String:
		return "character", true
	case reflect.Slice, reflect.Array, reflect.Map:
		return "item", true
	}
	return "", false
}

func count(n, unit string) string {
	if n == "1" {
		return n + " " + unit
	}
	return n + " " + unit + "s"
}

func isTime(t reflect.Type) bool { return t != nil && t.ConvertibleTo(timeType) }

// compare words a size or value comparison: op is one of min, max, len, eq,
// ne, gt, gte, lt, lte.
func compare(f Failure, op string) string {
	p := f.Param
	if isTime(f.Type) {
		switch op {
		case "gt":
			return "must be in the future"
		case "gte":
			return "must be now or in the future"
		case "lt":
			return "must be in the past"
		case "lte":
			return "must be now or in the past"
		}
	}
	if unit, ok := sizeUnit(f.Kind); ok && !(f.Kind == reflect.String && (op == "eq" || op == "ne")) {
		verb := "must contain "
		if f.Kind == reflect.String {
			verb = "must be "
		}
		switch op {
		case "min", "gte":
			return verb + "at least " + count(p, unit)
		case "max", "lte":
			return verb + "at most " + count(p, unit)
		case "len", "eq":
			return verb + "exactly " + count(p, unit)
		case "ne":
			return "must not contain exactly " + count(p, unit)
		case "gt":
			if f.Kind == reflect.String {
				return "must be longer than " + count(p, unit)
			}
			return "must contain more than " + count(p, unit)
		case "lt":
			if f.Kind == reflect.String {
				return "must be shorter than " + count(p, unit)
			}
			return "must contain fewer than " + count(p, unit)
		}
	}
	if f.Kind == reflect.String {
		p = strconv.Quote(p)
	}
	switch op {
	case "min", "gte":
		return "must be at least " + p
	case "max", "lte":
		return "must be at most " + p
	case "len", "eq":
		return "must be equal to " + p
	case "ne":
		return "must not be equal to " + p
	case "gt":
		return "must be greater than " + p
	case "lt":
		return "must be less than " + p
	}
	return "must satisfy " + op
}

// condition words the field/value pairs of required_if and its kin:
// "status is published and kind is note".
func condition(param string) string {
	w := splitParams(param)
	var parts []string
	for i := 0; i+1 < len(w); i += 2 {
		parts = append(parts, w[i]+" is "+w[i+1])
	}
	return strings.Join(parts, " and ")
}

// fieldList words the fields of required_with and its kin: "email",
// "email and phone" (all) or "email or phone" (any).
func fieldList(param, conj string) string {
	w := splitParams(param)
	switch len(w) {
	case 0:
		return ""
	case 1:
		return w[0]
	}
	return strings.Join(w[:len(w)-1], ", ") + " " + conj + " " + w[len(w)-1]
}

func plural(param string) bool { return len(splitParams(param)) > 1 }

// whenFields words "when email is present" for the rules that depend on
// other fields being present or missing.
func whenFields(param string, all, present bool) string {
	state := "missing"
	if present {
		state = "present"
	}
	if !plural(param) {
		return " when " + param + " is " + state
	}
	if all {
		return " when " + fieldList(param, "and") + " are all " + state
	}
	return " when " + fieldList(param, "or") + " is " + state
}

// crossField words a comparison with another field.
func crossField(f Failure, op string) string {
	other := f.Param
	if other == "" {
		other = "the other field"
	}
	if isTime(f.Type) {
		switch op {
		case "gt":
			return "must be after " + other
		case "gte":
			return "must be on or after " + other
		case "lt":
			return "must be before " + other
		case "lte":
			return "must be on or before " + other
		}
	}
	switch op {
	case "eq":
		return "must match " + other
	case "ne":
		return "must differ from " + other
	case "gt":
		return "must be greater than " + other
	case "gte":
		return "must be greater than or equal to " + other
	case "lt":
		return "must be less than " + other
	case "lte":
		return "must be less than or equal to " + other
	}
	return "must satisfy " + f.Rule
}

// builtinMessage returns the English message for the rules validator
// ships with.
func builtinMessage(f Failure) (string, bool) {
	p := f.Param
	q := strconv.Quote(p)
	switch f.Rule {
	case "required", "skip_unless":
		if f.Rule == "skip_unless" && p != "" {
			return "is required when " + condition(p), true
		}
		return "is required", true
	case "required_if":
		if p == "" {
			return "is required", true
		}
		return "is required when " + condition(p), true
	case "required_unless":
		if p == "" {
			return "is required", true
		}
		return "is required unless " + condition(p), true
	case "required_with", "required_with_all", "required_without", "required_without_all":
		if p == "" {
			return "is required", true
		}
		return "is required" + whenFields(p, strings.HasSuffix(f.Rule, "_all"), !strings.Contains(f.Rule, "without")), true
	case "excluded_if":
		if p == "" {
			return "must not be set", true
		}
		return "must not be set when " + condition(p), true
	case "excluded_unless":
		if p == "" {
			return "must not be set", true
		}
		return "must not be set unless " + condition(p), true
	case "excluded_with", "excluded_with_all", "excluded_without", "excluded_without_all":
		if p == "" {
			return "must not be set", true
		}
		return "must not be set" + whenFields(p, strings.HasSuffix(f.Rule, "_all"), !strings.Contains(f.Rule, "without")), true
	case "isdefault":
		return "must be empty", true
	case "min", "max", "len", "eq", "ne", "gt", "gte", "lt", "lte":
		return compare(f, f.Rule), true
	case "eq_ignore_case":
		return "must be equal to " + q + " (ignoring case)", true
	case "ne_ignore_case":
		return "must not be equal to " + q + " (ignoring case)", true
	case "eqfield", "eqcsfield":
		return crossField(f, "eq"), true
	case "nefield", "necsfield":
		return crossField(f, "ne"), true
	case "gtfield", "gtcsfield":
		return crossField(f, "gt"), true
	case "gtefield", "gtecsfield":
		return crossField(f, "gte"), true
	case "ltfield", "ltcsfield":
		return crossField(f, "lt"), true
	case "ltefield", "ltecsfield":
		return crossField(f, "lte"), true
	case "fieldcontains":
		return "must contain the value of " + or(p, "the other field"), true
	case "fieldexcludes":
		return "must not contain the value of " + or(p, "the other field"), true
	case "oneof":
		return "must be one of: " + p, true
	case "oneofci":
		return "must be one of (ignoring case): " + p, true
	case "noneof":
		return "must not be one of: " + p, true
	case "noneofci":
		return "must not be one of (ignoring case): " + p, true
	case "unique":
		if p != "" {
			return "must not contain two items with the same " + p, true
		}
		return "must not contain duplicate values", true
	case "contains", "containsrune":
		return "must contain " + q, true
	case "containsany":
		return "must contain at least one of the characters " + q, true
	case "excludes", "excludesrune":
		return "must not contain " + q, true
	case "excludesall":
		return "must not contain any of the characters " + q, true
	case "startswith":
		return "must start with " + q, true
	case "endswith":
		return "must end with " + q, true
	case "startsnotwith":
		return "must not start with " + q, true
	case "endsnotwith":
		return "must not end with " + q, true
	case "datetime":
		return "must be a date and time in the format " + p, true
	case "unix_addr":
		return "must be a valid Unix socket address", true
	}
	if msg, ok := formatMessage(f.Rule); ok {
		return msg, true
	}
	return "", false
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// formatMessage returns the message of a rule that checks a value's
// format and takes no parameter worth showing.
func formatMessage(rule string) (string, bool) {
	switch rule {
	case "alpha":
		return "must contain only letters (A-Z, a-z)", true
	case "alphaspace":
		return "must contain only letters (A-Z, a-z) and spaces", true
	case "alphanum":
		return "must contain only letters and digits (A-Z, a-z, 0-9)", true
	case "alphanumspace":
		return "must contain only letters, digits and spaces", true
	case "alphaunicode":
		return "must contain only letters", true
	case "alphanumunicode":
		return "must contain only letters and digits", true
	case "ascii":
		return "must contain only ASCII characters", true
	case "printascii":
		return "must contain only printable ASCII characters", true
	case "multibyte":
		return "must contain multibyte characters", true
	case "lowercase":
		return "must be lowercase", true
	case "uppercase":
		return "must be uppercase", true
	case "boolean":
		return "must be a boolean (true or false)", true
	case "numeric":
		return "must be a number", true
	case "number":
		return "must contain only digits", true
	case "hexadecimal":
		return "must be a hexadecimal number", true
	case "hexcolor":
		return "must be a hex color, such as #1e90ff", true
	case "rgb":
		return "must be an rgb() color", true
	case "rgba":
		return "must be an rgba() color", true
	case "hsl":
		return "must be an hsl() color", true
	case "hsla":
		return "must be an hsla() color", true
	case "cmyk":
		return "must be a cmyk() color", true
	case "iscolor":
		return "must be a color", true
	case "e164":
		return "must be a phone number in E.164 format, such as +14155552671", true
	case "email":
		return "must be a valid email address", true
	case "url":
		return "must be a valid URL", true
	case "http_url":
		return "must be a valid http or https URL", true
	case "https_url":
		return "must be a valid https URL", true
	case "uri":
		return "must be a valid URI", true
	case "origin":
		return "must be a valid origin, such as https://example.com", true
	case "urn_rfc2141", "urn_rfc8141":
		return "must be a valid URN", true
	case "url_encoded":
		return "must be URL-encoded", true
	case "html":
		return "must be HTML", true
	case "html_encoded":
		return "must be HTML-encoded", true
	case "datauri":
		return "must be a data URI", true
	case "file":
		return "must be an existing file", true
	case "filepath":
		return "must be a valid file path", true
	case "dir":
		return "must be an existing directory", true
	case "dirpath":
		return "must be a valid directory path", true
	case "image":
		return "must be an image file", true
	case "base32":
		return "must be base32-encoded", true
	case "base64":
		return "must be base64-encoded", true
	case "base64url":
		return "must be base64url-encoded", true
	case "base64rawurl":
		return "must be base64url-encoded without padding", true
	case "json":
		return "must be valid JSON", true
	case "jwt":
		return "must be a JSON Web Token", true
	case "uuid":
		return "must be a valid UUID", true
	case "uuid_rfc4122":
		return "must be a valid RFC 4122 UUID", true
	case "uuid3", "uuid3_rfc4122":
		return "must be a valid version 3 UUID", true
	case "uuid4", "uuid4_rfc4122":
		return "must be a valid version 4 UUID", true
	case "uuid5", "uuid5_rfc4122":
		return "must be a valid version 5 UUID", true
	case "uuid7":
		return "must be a valid version 7 UUID", true
	case "ulid":
		return "must be a valid ULID", true
	case "md4", "md5", "sha256", "sha384", "sha512", "ripemd128", "ripemd160", "tiger128", "tiger160", "tiger192":
		return "must be a valid " + strings.ToUpper(rule) + " hash", true
	case "ip":
		return "must be a valid IP address", true
	case "ipv4":
		return "must be a valid IPv4 address", true
	case "ipv6":
		return "must be a valid IPv6 address", true
	case "cidr":
		return "must be a valid CIDR network, such as 10.0.0.0/8", true
	case "cidrv4":
		return "must be a valid IPv4 CIDR network, such as 10.0.0.0/8", true
	case "cidrv6":
		return "must be a valid IPv6 CIDR network", true
	case "ip_addr", "ip4_addr", "ip6_addr":
		return "must be a resolvable IP address", true
	case "tcp_addr", "tcp4_addr", "tcp6_addr":
		return "must be a resolvable TCP address", true
	case "udp_addr", "udp4_addr", "udp6_addr":
		return "must be a resolvable UDP address", true
	case "mac":
		return "must be a valid MAC address", true
	case "hostname", "hostname_rfc1123":
		return "must be a valid hostname", true
	case "hostname_label":
		return "must be a valid hostname label", true
	case "fqdn":
		return "must be a fully qualified domain name", true
	case "hostname_port":
		return "must be a host and port, such as example.com:443", true
	case "port":
		return "must be a valid port number", true
	case "dns_rfc1035_label":
		return "must be a valid DNS label", true
	case "timezone":
		return "must be a valid time zone, such as Europe/Paris", true
	case "duration":
		return "must be a duration, such as 1h30m", true
	case "latitude":
		return "must be a valid latitude", true
	case "longitude":
		return "must be a valid longitude", true
	case "iso3166_1_alpha2":
		return "must be a two-letter ISO 3166-1 country code", true
	case "iso3166_1_alpha2_eu":
		return "must be a two-letter ISO 3166-1 code of an EU country", true
	case "iso3166_1_alpha3":
		return "must be a three-letter ISO 3166-1 country code", true
	case "iso3166_1_alpha3_eu":
		return "must be a three-letter ISO 3166-1 code of an EU country", true
	case "iso3166_1_alpha_numeric":
		return "must be a numeric ISO 3166-1 country code", true
	case "iso3166_1_alpha_numeric_eu":
		return "must be a numeric ISO 3166-1 code of an EU country", true
	case "country_code":
		return "must be an ISO 3166-1 country code", true
	case "eu_country_code":
		return "must be an ISO 3166-1 code of an EU country", true
	case "iso3166_2":
		return "must be a valid ISO 3166-2 subdivision code", true
	case "iso4217":
		return "must be a three-letter ISO 4217 currency code", true
	case "iso4217_numeric":
		return "must be a numeric ISO 4217 currency code", true
	case "bcp47_language_tag", "bcp47_strict_language_tag":
		return "must be a valid BCP 47 language tag, such as en-US", true
	case "postcode_iso3166_alpha2", "postcode_iso3166_alpha2_field":
		return "must be a valid postal code", true
	case "bic", "bic_iso_9362_2014":
		return "must be a valid BIC", true
	case "semver":
		return "must be a semantic version, such as 1.2.3", true
	case "credit_card":
		return "must be a valid credit card number", true
	case "luhn_checksum":
		return "must have a valid Luhn check digit", true
	case "isbn":
		return "must be a valid ISBN", true
	case "isbn10":
		return "must be a valid ISBN-10", true
	case "isbn13":
		return "must be a valid ISBN-13", true
	case "issn":
		return "must be a valid ISSN", true
	case "ssn":
		return "must be a valid US social security number", true
	case "ein":
		return "must be a valid US employer identification number", true
	case "cve":
		return "must be a CVE identifier, such as CVE-2024-1234", true
	case "cron":
		return "must be a valid cron expression", true
	case "mongodb":
		return "must be a MongoDB ObjectId", true
	case "mongodb_connection_string":
		return "must be a MongoDB connection string", true
	case "eth_addr", "eth_addr_checksum":
		return "must be an Ethereum address", true
	case "btc_addr", "btc_addr_bech32":
		return "must be a Bitcoin address", true
	case "mimetype":
		return "must be a file of an allowed type", true
	}
	return "", false
}
