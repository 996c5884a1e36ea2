package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
)

// generate writes cfg.generate sample records to cfg.in.
func generate(cfg config, stdout, stderr io.Writer) int {
	if err := writeSample(cfg.in, cfg.generate); err != nil {
		fmt.Fprintf(stderr, "batchjob: -generate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d records to %s\n", cfg.generate, cfg.in)
	return 0
}

// writeSample writes n records, one JSON object per line, to a new file at
// path. The values are deterministic: the same n gives the same file.
func writeSample(path string, n int) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
	}()
	w := bufio.NewWriterSize(f, 64<<10)
	width := max(5, len(strconv.Itoa(n)))
	currencies := [...]string{"EUR", "USD", "GBP", "JPY"}
	for i := 1; i <= n; i++ {
		_, err = fmt.Fprintf(w, `{"id":"r-%0*d","amount":%d.%02d,"currency":%q,"customer":"c-%04d"}`+"\n",
			width, i, (i*7919)%5000, (i*31)%100, currencies[i%len(currencies)], (i*37)%1000)
		if err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Sync()
}
