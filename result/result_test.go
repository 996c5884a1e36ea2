package result

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestResult(t *testing.T) {
	ok := Ok(42)
	if v, err := ok.Get(); v != 42 || err != nil || !ok.IsOk() || ok.Err() != nil || ok.ValueOr(1) != 42 {
		t.Errorf("Ok(42): Get = %v, %v", v, err)
	}
	boom := errors.New("boom")
	bad := Fail[int](boom)
	if v, err := bad.Get(); v != 0 || err != boom || bad.IsOk() || bad.ValueOr(7) != 7 {
		t.Errorf("Fail: Get = %v, %v", v, err)
	}
	if r := Of(5, nil); !r.IsOk() {
		t.Error("Of(5, nil) failed")
	}
	// Of keeps the value out when there is an error: Get must not return half a result.
	if v, err := Of(5, boom).Get(); v != 0 || err != boom {
		t.Errorf("Of(5, boom).Get() = %v, %v", v, err)
	}
	var zero Result[string]
	if v, err := zero.Get(); v != "" || err != nil {
		t.Errorf("zero Result: %q, %v", v, err)
	}
}

func TestFailNilIsStillAFailure(t *testing.T) {
	r := Fail[int](nil)
	if r.IsOk() || CodeOf(r.Err()) != CodeInternal {
		t.Errorf("Fail(nil) = %+v; a failure must not turn into a success", r)
	}
}

func TestMap(t *testing.T) {
	r := Map(Ok("12"), strconv.Atoi)
	if v, err := r.Get(); v != 12 || err != nil {
		t.Errorf("Map(Ok(\"12\"), Atoi) = %v, %v", v, err)
	}
	r = Map(Ok("x"), strconv.Atoi)
	var ne *strconv.NumError
	if !errors.As(r.Err(), &ne) {
		t.Errorf("Map error = %v, want *strconv.NumError", r.Err())
	}
	called := false
	r = Map(Fail[string](ErrNotFound), func(s string) (int, error) { called = true; return 0, nil })
	if called || !errors.Is(r.Err(), ErrNotFound) {
		t.Errorf("Map on a failure called f=%v, err=%v", called, r.Err())
	}
}

func TestSplit(t *testing.T) {
	rs := []Result[int]{Ok(1), Fail[int](NotFound("item", "b")), Ok(3), Fail[int](RateLimited(0))}
	values, err := Split(rs)
	if fmt.Sprint(values) != "[1 3]" {
		t.Errorf("values = %v, want [1 3]", values)
	}
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrRateLimited) {
		t.Errorf("joined error %v does not match both failures", err)
	}
	if CodeOf(err) != CodeNotFound {
		t.Errorf("CodeOf(joined) = %s, want the first failure's code", CodeOf(err))
	}
	if !strings.Contains(err.Error(), "item 1: ") || !strings.Contains(err.Error(), "item 3: ") {
		t.Errorf("error %q does not name the failed indexes", err)
	}
	values, err = Split([]Result[int]{Ok(1), Ok(2)})
	if err != nil || len(values) != 2 {
		t.Errorf("all ok: %v, %v", values, err)
	}
	values, err = Split[int](nil)
	if err != nil || len(values) != 0 {
		t.Errorf("nil batch: %v, %v", values, err)
	}
}

func BenchmarkOkGet(b *testing.B) {
	b.ReportAllocs()
	var sink int
	for i := 0; b.Loop(); i++ {
		v, err := Ok(i).Get()
		if err != nil {
			b.Fatal(err)
		}
		sink += v
	}
	_ = sink
}

func BenchmarkCodeOf(b *testing.B) {
	err := fmt.Errorf("a: %w", fmt.Errorf("b: %w", fmt.Errorf("c: %w", RateLimited(0))))
	b.ReportAllocs()
	for b.Loop() {
		if CodeOf(err) != CodeRateLimited {
			b.Fatal("wrong code")
		}
	}
}

func BenchmarkCodeOfPlainError(b *testing.B) {
	err := fmt.Errorf("a: %w", fmt.Errorf("b: %w", errors.New("c")))
	b.ReportAllocs()
	for b.Loop() {
		if CodeOf(err) != CodeInternal {
			b.Fatal("wrong code")
		}
	}
}

func BenchmarkErrorsAsByHand(b *testing.B) {
	err := fmt.Errorf("a: %w", fmt.Errorf("b: %w", fmt.Errorf("c: %w", RateLimited(0))))
	b.ReportAllocs()
	for b.Loop() {
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeRateLimited {
			b.Fatal("wrong code")
		}
	}
}

func TestAllocs(t *testing.T) {
	if testing.Short() {
		return
	}
	err := fmt.Errorf("a: %w", fmt.Errorf("b: %w", fmt.Errorf("c: %w", RateLimited(0))))
	if n := testing.AllocsPerRun(100, func() { _ = CodeOf(err) }); n != 0 {
		t.Errorf("CodeOf on a three-deep chain allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Ok(1).Get() }); n != 0 {
		t.Errorf("Ok/Get allocates %v times, want 0", n)
	}
}
