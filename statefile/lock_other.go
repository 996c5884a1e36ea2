//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package statefile

import (
	"errors"
	"os"
	"runtime"
)

func tryLock(*os.File) error { return errors.New("file locking is not supported on " + runtime.GOOS) }
func unlock(*os.File) error  { return nil }
