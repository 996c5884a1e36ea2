//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package statefile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive flock(2) without waiting. A flock belongs to
// the open file description, so a second File in the same process conflicts
// too, and the kernel drops the lock when the process dies.
func tryLock(f *os.File) error {
	return control(f, func(fd int) error {
		for {
			err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
			switch {
			case err == nil:
				return nil
			case errors.Is(err, unix.EINTR):
				continue
			case errors.Is(err, unix.EWOULDBLOCK):
				return errWouldBlock
			default:
				return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
			}
		}
	})
}

func unlock(f *os.File) error {
	return control(f, func(fd int) error {
		if err := unix.Flock(fd, unix.LOCK_UN); err != nil {
			return &os.PathError{Op: "unlock", Path: f.Name(), Err: err}
		}
		return nil
	})
}

func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
