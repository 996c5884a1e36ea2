//go:build !unix && !windows

package statefile

import "os"

func renameFile(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// syncDir fsyncs a directory where the platform allows it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	cerr := d.Close()
	if err != nil {
		return err
	}
	return cerr
}
