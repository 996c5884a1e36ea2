//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package statefile

import (
	"errors"
	"os"
	"runtime"
)

var errNoLocking = errors.New("file locking is not supported on " + runtime.GOOS)

func tryLock(*os.File) error { return errNoLocking }

func unlock(*os.File) error { return nil }
