//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package statefile

import (
	"errors"
	"os"
	"runtime"
)

// The file store cannot lock here, so Open fails before it writes.
func tryLock(*os.File) error { return errors.New("file locking is not supported on " + runtime.GOOS) }
func unlock(*os.File) error  { return nil }

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
func (osFS) SyncDir(string) error                 { return nil }
