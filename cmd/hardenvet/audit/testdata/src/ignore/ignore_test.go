package ignore

import "net/http"

// Test files are not audited: nothing here is reported.
func helper() { _, _ = http.Get("http://127.0.0.1/") }
