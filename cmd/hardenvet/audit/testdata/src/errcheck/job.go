package errcheck

import "os"

func cleanup(dir string) {
	os.RemoveAll(dir) // want `errcheck: unchecked error; handle it`
}

func cleanupChecked(dir string) error {
	return os.RemoveAll(dir)
}
