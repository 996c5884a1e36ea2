package errcheck

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func cleanup(dir string) {
	os.RemoveAll(dir) // want `errcheck: unchecked error; handle it`
}

func cleanupChecked(dir string) error {
	return os.RemoveAll(dir)
}

func save(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	// A write error that only Close reveals would be lost:
	defer f.Close() // want `errcheck: unchecked error`
	_, err = f.Write(data)
	return err
}

// Idioms: a message written with fmt.Fprint*, a response body closed by defer.
func fetch(w io.Writer, url string) error {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Fprintln(w, "fetch:", err)
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}
