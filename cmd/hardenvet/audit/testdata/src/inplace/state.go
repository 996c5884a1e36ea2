package inplace

import (
	"encoding/json"
	"os"
	"path/filepath"
)

type cursor struct{ Last string }

func saveCursor(path string, c cursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644) // want `inplace: file written in place`
}

func saveReport(path string, lines []string) error {
	f, err := os.Create(path) // want `inplace: file written in place`
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := f.WriteString(l + "\n"); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// Written to a temporary file and renamed over the old one: fine.
func saveCursorAtomic(path string, c cursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), ".cursor.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
