//go:build race

package main

// raceEnabled reports that the tests run with the race detector, so the
// end-to-end tests build the program with it too: the program is checked for
// races as well, and the build reuses the packages the test build compiled.
const raceEnabled = true
