// Package statefilebench measures github.com/hardenkit/harden/statefile
// against the atomic-write libraries a job would use instead,
// google/renameio/v2 and natefinch/atomic, and against the hand-written
// minimum of a durable replace; and its Open of a 1 MiB state against
// reading and decoding the file by hand. Files live in b.TempDir, so the
// figures are those of the file system TMPDIR is on (see BENCHMARKS.md).
package statefilebench
