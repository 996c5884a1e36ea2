package validate

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-playground/validator/v10"
	"github.com/hardenkit/harden/result"
)

// MaxViolations bounds how many violations one error reports, so that a
// hostile body with a million bad items cannot make the response a
// million lines long. The first MaxViolations found are kept.
const MaxViolations = 100

// Options configures a Validator. The zero value, and a nil *Options, give
// the built-in English messages.
type Options struct {
	// Messages replaces the message of a rule, by tag ("min", "email", or a
	// custom rule or alias), for every field the rule fails on. The problems
	// DecodeJSON finds while decoding keep their own messages.
	Messages map[string]MessageFunc
}

// Validator checks values against their `validate` struct tags, with
// go-playground/validator/v10 rules, and reports every failure as one
// *result.Error with code VALIDATION.
//
// Build one with New and register custom rules and aliases before its
// first use (Struct, Var or DecodeJSON), which freezes it: registering
// afterwards returns an error instead of racing with validations in
// flight. It is then safe for concurrent use, and parses the tags of a
// type once. The zero Validator is not usable: its methods return an error.
type Validator struct {
	v        *validator.Validate
	messages map[string]MessageFunc
	// aliases holds the tags registered with RegisterAlias: their messages
	// are those of the rules inside them, never a built-in rule's of the
	// same name.
	aliases map[string]bool

	mu     sync.Mutex  // serialises registration against freezing
	frozen atomic.Bool // set by the first use; registration then fails
}

// New returns a Validator with the built-in rules of validator/v10, JSON
// member names in every violation, and `required` enforced on nested
// non-pointer structs. A nil opts gives the defaults.
func New(opts *Options) *Validator {
	if opts == nil {
		opts = &Options{}
	}
	v := &Validator{
		v:        validator.New(validator.WithRequiredStructEnabled()),
		messages: make(map[string]MessageFunc, len(opts.Messages)),
		aliases:  make(map[string]bool),
	}
	for tag, fn := range opts.Messages {
		if fn != nil {
			v.messages[tag] = fn
		}
	}
	return v
}

// defaultValidator backs the package-level Struct and Var. It is built on
// first use and never handed out, so nobody can register rules on it.
var defaultValidator = sync.OnceValue(func() *Validator { return New(nil) })

// Struct validates s, a struct or a pointer to one, with the default
// Validator: the built-in rules and messages. See (*Validator).Struct.
func Struct(s any) error { return defaultValidator().Struct(s) }

// Var validates a single value against tag with the default Validator.
// See (*Validator).Var.
func Var(field any, tag string) error { return defaultValidator().Var(field, tag) }

// RegisterRule adds a custom rule for tag, or replaces a built-in one, with
// the message a client sees when it fails (nil gives "must satisfy <tag>").
// fn reports whether the field passes; it is not called for nil pointers.
//
// Register rules before the Validator's first use: afterwards
// RegisterRule returns an error. It also fails for an empty tag, a nil fn,
// and a tag the validator reserves (dive, omitempty, …) or that contains one
// of its separator characters.
func (v *Validator) RegisterRule(tag string, fn validator.Func, message MessageFunc) error {
	if fn == nil {
		return fmt.Errorf("validate: RegisterRule %q: nil rule function", tag)
	}
	return v.register("RegisterRule", tag, message, func() error {
		return v.v.RegisterValidation(tag, fn)
	})
}

// RegisterAlias makes tag stand for a list of rules, such as
// RegisterAlias("status", "oneof=draft published", nil). A violation of an
// alias reports the alias as its rule, with message if it is not nil, or
// otherwise the message of the rule inside it that failed.
//
// As with RegisterRule, register aliases before the Validator's first use.
func (v *Validator) RegisterAlias(tag, rules string, message MessageFunc) error {
	if strings.TrimSpace(rules) == "" {
		return fmt.Errorf("validate: RegisterAlias %q: no rules", tag)
	}
	return v.register("RegisterAlias", tag, message, func() error {
		v.v.RegisterAlias(tag, rules)
		return nil
	})
}

func (v *Validator) register(op, tag string, message MessageFunc, add func() error) (err error) {
	if v.v == nil {
		return errZeroValidator
	}
	if tag == "" {
		return fmt.Errorf("validate: %s: empty tag", op)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.frozen.Load() {
		return fmt.Errorf("validate: %s %q: the Validator is already in use; register rules before the first validation", op, tag)
	}
	defer func() {
		// validator panics on a reserved tag name rather than returning an error.
		if p := recover(); p != nil {
			err = fmt.Errorf("validate: %s %q: %v", op, tag, p)
		}
	}()
	if err := add(); err != nil {
		return fmt.Errorf("validate: %s %q: %w", op, tag, err)
	}
	if op == "RegisterAlias" {
		v.aliases[tag] = true
	}
	switch {
	case message != nil:
		v.messages[tag] = message
	case op == "RegisterRule" && v.messages[tag] == nil:
		// A rule registered under a built-in name is another rule: the
		// built-in message would tell the client to fix the wrong thing.
		v.messages[tag] = Message("must satisfy " + tag)
	}
	return nil
}

// freeze ends registration. Taking the lock once orders every earlier
// registration before the validations that follow.
func (v *Validator) freeze() {
	if v.frozen.Load() {
		return
	}
	v.mu.Lock()
	v.frozen.Store(true)
	v.mu.Unlock()
}

var errZeroValidator = errors.New("validate: the zero Validator is not usable; build one with New")

// Struct validates s, a struct or a non-nil pointer to one, against its
// `validate` tags, including nested structs, and slices and maps with dive.
//
// It returns nil when s is valid, and otherwise a *result.Error with code
// VALIDATION listing every failure (up to MaxViolations) as a violation:
// a JSON Pointer built from the fields' JSON names, the rule, its parameter
// and an English message. Fields hidden from JSON (json:"-") are not
// reported, since a client cannot set them.
//
// Any other argument, and a tag the validator cannot parse, is a bug in the
// caller rather than bad input: Struct then returns a plain error, which a
// problem response shows as INTERNAL.
func (v *Validator) Struct(s any) (err error) {
	if v.v == nil {
		return errZeroValidator
	}
	v.freeze()
	sv := reflect.ValueOf(s)
	if sv.Kind() == reflect.Pointer && !sv.IsNil() {
		sv = sv.Elem()
	}
	if sv.Kind() != reflect.Struct || isTime(sv.Type()) {
		what := fmt.Sprintf("%T", s)
		if s == nil {
			what = "nil"
		} else if sv.Kind() == reflect.Pointer {
			what = "nil " + what
		}
		return fmt.Errorf("validate: Struct needs a struct or a non-nil pointer to one, got %s", what)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("validate: Struct(%s): %v", sv.Type(), p)
		}
	}()
	if verr := v.v.Struct(s); verr != nil {
		return v.fromValidator("Struct", sv, verr)
	}
	return nil
}

// Var validates one value against tag, such as Var(email, "required,email")
// or Var(tags, "max=10,dive,min=1"). Its violations have the pointer ""
// (the value itself), or "/0", "/key" for the elements of a dive.
// It returns nil, a *result.Error with code VALIDATION, or a plain error
// for a tag the validator cannot parse.
func (v *Validator) Var(field any, tag string) (err error) {
	if v.v == nil {
		return errZeroValidator
	}
	v.freeze()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("validate: Var(%q): %v", tag, p)
		}
	}()
	if verr := v.v.Var(field, tag); verr != nil {
		return v.fromValidator("Var", reflect.ValueOf(field), verr)
	}
	return nil
}

// fromValidator turns validator's error for the value top into a
// *result.Error, or a plain error when it is not about the value.
func (v *Validator) fromValidator(op string, top reflect.Value, err error) error {
	ves, ok := errors.AsType[validator.ValidationErrors](err)
	if !ok {
		return fmt.Errorf("validate: %s: %w", op, err)
	}
	var viols []result.Violation
	loc := location{keys: make(map[uintptr]map[string][]reflect.Value)}
	for _, fe := range ves {
		if len(viols) == MaxViolations {
			break
		}
		loc.resolve(top, fe.StructNamespace())
		if loc.hidden {
			continue
		}
		f := Failure{Pointer: string(loc.pointer), Rule: fe.Tag(), Param: fe.Param(), Kind: fe.Kind(), Type: fe.Type(),
			Value: fe.Value(), Key: loc.isKeyFailure(fe.Type(), fe.Value())}
		if strings.Contains(f.Rule, "|") {
			f.Param = ""
		} else if fieldRules[fe.ActualTag()] > 0 {
			f.Param = fieldParam(fe.ActualTag(), f.Param, loc.parent, fe.Type(), top)
		}
		viols = append(viols, result.Violation{Pointer: f.Pointer, Rule: f.Rule, Param: f.Param, Message: v.message(f, fe.ActualTag())})
	}
	if len(viols) == 0 {
		return nil // every failure was on a field hidden from JSON
	}
	return result.Validation(viols...)
}
