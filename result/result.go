package result

import (
	"errors"
	"fmt"
)

// Result holds either a value or an error, for outcomes that travel as values:
// over channels, in slices, out of a fan-out. Inside ordinary code prefer Go's
// (T, error) returns; Get converts back.
//
// The zero Result holds the zero value of T and no error. A Result is
// immutable and safe to copy and share between goroutines, provided T is.
type Result[T any] struct {
	value T // the zero value when err is set
	err   error
}

// Ok returns a successful Result holding v.
func Ok[T any](v T) Result[T] {
	return Result[T]{value: v}
}

// Fail returns a failed Result holding err. A nil err would silently turn a
// failure into a success, so Fail(nil) holds an INTERNAL error instead.
func Fail[T any](err error) Result[T] {
	if err == nil {
		err = Internal(errors.New("result: Fail called with a nil error"))
	}
	return Result[T]{err: err}
}

// Of returns a Result from a (value, error) pair, the shape most Go functions
// return: Ok(v) when err is nil, otherwise a failed Result holding err.
func Of[T any](v T, err error) Result[T] {
	if err != nil {
		return Result[T]{err: err}
	}
	return Result[T]{value: v}
}

// Get returns the value and the error, as a Go function would.
func (r Result[T]) Get() (T, error) { return r.value, r.err }

// Err returns the error, or nil for a successful Result.
func (r Result[T]) Err() error { return r.err }

// IsOk reports whether r holds a value rather than an error.
func (r Result[T]) IsOk() bool { return r.err == nil }

// ValueOr returns the value, or fallback if r holds an error.
func (r Result[T]) ValueOr(fallback T) T {
	if r.err != nil {
		return fallback
	}
	return r.value
}

// Map applies f to r's value and returns its outcome as a Result of another
// type. A failed r is passed through without calling f. Because most Go
// transformations can fail, f returns (U, error).
func Map[T, U any](r Result[T], f func(T) (U, error)) Result[U] {
	if r.err != nil {
		return Result[U]{err: r.err}
	}
	return Of(f(r.value))
}

// Split separates a batch into the values of its successes, in order, and one
// error joining its failures (nil when all succeeded), each wrapped with its
// index in rs ("item 3: …"). errors.Is and errors.As see every failure through
// the join; CodeOf gives the first one's code.
func Split[T any](rs []Result[T]) ([]T, error) {
	values := make([]T, 0, len(rs))
	var errs []error
	for i, r := range rs {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("item %d: %w", i, r.err))
			continue
		}
		values = append(values, r.value)
	}
	return values, errors.Join(errs...)
}
