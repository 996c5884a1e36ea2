//go:build !unix

package main

import (
	"testing"
	"time"
)

// testGracefulShutdown stops the service. Without Unix signals a test
// cannot send another process SIGTERM, so it checks only that the process
// goes away; the graceful shutdown itself is tested on Unix.
func testGracefulShutdown(t *testing.T, s *service) {
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatalf("stopping the service: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(waitTimeout):
		t.Fatalf("the service did not stop within %v", waitTimeout)
	}
}
