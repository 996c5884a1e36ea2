package statefile

// NewFileStore returns the file store for the state file at path, for the
// conformance tests in package statefile_test.
func NewFileStore(path string) (Store, error) { return newFileStore(path, 0, osFS{}) }
