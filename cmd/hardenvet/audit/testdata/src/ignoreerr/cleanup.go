package ignoreerr

import "os"

func cleanup() {
	os.Remove("a.tmp") //hardenvet:ignore errcheck a file already gone is what we want
	os.Remove("b.tmp") //hardenvet:ignore errtext another analyzer named // want `errcheck: unchecked error`
	os.Remove("c.tmp") // want `errcheck: unchecked error`
}
