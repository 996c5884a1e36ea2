package validate

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-playground/validator/v10"
	"github.com/hardenkit/harden/result"
)

func alwaysTrue(validator.FieldLevel) bool { return true }

func TestRegisterBeforeUse(t *testing.T) {
	t.Parallel()
	v := New(nil)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"empty tag", v.RegisterRule("", alwaysTrue, nil), `validate: RegisterRule: empty tag`},
		{"nil function", v.RegisterRule("x", nil, nil), `validate: RegisterRule "x": nil rule function`},
		{"reserved tag", v.RegisterRule("dive", alwaysTrue, nil), `validate: RegisterRule "dive": `},
		{"separator in tag", v.RegisterRule("a,b", alwaysTrue, nil), `validate: RegisterRule "a,b": `},
		{"reserved alias", v.RegisterAlias("omitempty", "required", nil), `validate: RegisterAlias "omitempty": `},
		{"empty alias", v.RegisterAlias("x", " ", nil), `validate: RegisterAlias "x": no rules`},
	}
	for _, tt := range tests {
		if tt.err == nil || !strings.HasPrefix(tt.err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want prefix %q", tt.name, tt.err, tt.want)
		}
	}
	// A failed registration leaves the Validator usable.
	if err := v.RegisterRule("ok", alwaysTrue, nil); err != nil {
		t.Fatalf("RegisterRule after failures: %v", err)
	}
	if err := v.Var(1, "ok"); err != nil {
		t.Fatalf("Var with the registered rule: %v", err)
	}
}

func TestRegisterAfterUseFails(t *testing.T) {
	t.Parallel()
	for name, use := range map[string]func(v *Validator){
		"Struct": func(v *Validator) { _ = v.Struct(struct{}{}) },
		"Var":    func(v *Validator) { _ = v.Var(1, "min=0") },
		"DecodeJSON": func(v *Validator) {
			_, _ = DecodeJSON[struct{}](nil, jsonRequest(`{}`), &DecodeOptions{Validator: v})
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := New(nil)
			use(v)
			err := v.RegisterRule("late", alwaysTrue, nil)
			if err == nil || !strings.Contains(err.Error(), "already in use") {
				t.Errorf("RegisterRule after %s = %v, want an already-in-use error", name, err)
			}
			if err := v.RegisterAlias("late", "required", nil); err == nil {
				t.Errorf("RegisterAlias after %s succeeded", name)
			}
			// The rule did not sneak in.
			if err := v.Var(1, "late"); err == nil || resultAs(err) != nil {
				t.Errorf("Var with the refused rule = %v, want a plain error", err)
			}
		})
	}
}

// TestRegisterRacesWithUse registers while other goroutines validate: each
// registration either lands before the first use or fails cleanly, and the
// race detector sees no unsynchronised access.
func TestRegisterRacesWithUse(t *testing.T) {
	t.Parallel()
	v := New(nil)
	type form struct {
		Name string `json:"name" validate:"required,min=2"`
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				errs <- v.RegisterRule(fmt.Sprintf("r%d", i), alwaysTrue, nil)
				return
			}
			for range 20 {
				if err := v.Struct(form{Name: "a"}); result.CodeOf(err) != result.CodeValidation {
					errs <- fmt.Errorf("Struct = %v", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !strings.Contains(err.Error(), "already in use") {
			t.Error(err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	type item struct {
		Name string `json:"name" validate:"required"`
	}
	type form struct {
		Items []item `json:"items" validate:"dive"`
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			f := form{Items: make([]item, i%4+1)}
			e := resultAs(Struct(f))
			if e == nil || len(e.Violations) != i%4+1 {
				t.Errorf("goroutine %d: %v", i, e)
			}
		})
	}
	wg.Wait()
}

func TestStructRejectsNonStructs(t *testing.T) {
	t.Parallel()
	var nilPtr *struct{ A int }
	tests := []struct {
		arg  any
		want string
	}{
		{nil, "got nil"},
		{42, "got int"},
		{nilPtr, "got nil *struct { A int }"},
		{[]struct{}{}, "got []struct {}"},
	}
	for _, tt := range tests {
		err := Struct(tt.arg)
		if err == nil || resultAs(err) != nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Struct(%#v) = %v, want a plain error containing %q", tt.arg, err, tt.want)
		}
		if result.CodeOf(err) != result.CodeInternal {
			t.Errorf("Struct(%#v): code %s, want INTERNAL", tt.arg, result.CodeOf(err))
		}
	}
}

func TestBadTagsAreErrorsNotPanics(t *testing.T) {
	t.Parallel()
	type undefined struct {
		A string `validate:"no_such_rule"`
	}
	type badDive struct {
		A int `validate:"dive,required"`
	}
	for name, err := range map[string]error{
		"undefined rule": Struct(undefined{}),
		"dive on int":    Struct(badDive{}),
		"Var":            Var(1, "no_such_rule"),
	} {
		if err == nil || resultAs(err) != nil || !strings.HasPrefix(err.Error(), "validate: ") {
			t.Errorf("%s: %v, want a plain validate: error", name, err)
		}
	}
}

func TestMaxViolations(t *testing.T) {
	t.Parallel()
	type form struct {
		Items []string `json:"items" validate:"dive,required"`
	}
	e := resultAs(Struct(form{Items: make([]string, 3*MaxViolations)}))
	if e == nil || len(e.Violations) != MaxViolations {
		t.Fatalf("got %v, want %d violations", e, MaxViolations)
	}
	if e.Violations[MaxViolations-1].Pointer != fmt.Sprintf("/items/%d", MaxViolations-1) {
		t.Errorf("kept %q last, want the first %d in order", e.Violations[MaxViolations-1].Pointer, MaxViolations)
	}
}

func TestStructErrorMatchesSentinel(t *testing.T) {
	t.Parallel()
	type form struct {
		A string `json:"a" validate:"required"`
	}
	err := Struct(form{})
	if !errors.Is(err, result.ErrValidation) {
		t.Errorf("errors.Is(%v, ErrValidation) = false", err)
	}
	if e := resultAs(err); e.Message != "the request has 1 invalid field" {
		t.Errorf("message = %q", e.Message)
	}
}

func TestZeroValidator(t *testing.T) {
	t.Parallel()
	var v Validator
	type form struct {
		A string `validate:"required"`
	}
	for name, err := range map[string]error{
		"Struct":        v.Struct(form{}),
		"Var":           v.Var("", "required"),
		"RegisterRule":  v.RegisterRule("x", alwaysTrue, nil),
		"RegisterAlias": v.RegisterAlias("x", "required", nil),
		"DecodeJSON": func() error {
			_, err := DecodeJSON[form](nil, jsonRequest(`{}`), &DecodeOptions{Validator: &v})
			return err
		}(),
	} {
		if !errors.Is(err, errZeroValidator) {
			t.Errorf("%s on the zero Validator = %v", name, err)
		}
	}
}
