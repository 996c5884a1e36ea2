package statefile

// ExitCode maps a run's status to a process exit code for cron and
// systemd:
//
//	succeeded  0
//	failed     1  (also running, and any unknown status)
//	partial    3
//	abandoned  4
//
// 2 is left out because shells and the flag package use it for usage
// errors. Under systemd any non-zero code marks the unit failed; add
// SuccessExitStatus=3 to the unit to count partial runs as success. Under
// cron a non-zero code only matters to a wrapper that checks it; the
// run records and the one-line log record say what happened either way.
//
// Abandoned is never the status of a run that called Finish; its code is
// for tools that report the last recorded run.
func ExitCode(s Status) int {
	switch s {
	case StatusSucceeded:
		return 0
	case StatusPartial:
		return 3
	case StatusAbandoned:
		return 4
	default:
		return 1
	}
}
