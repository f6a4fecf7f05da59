//go:build unix

package draw

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, so that
// benchmarks can report it apart from the wall time another load inflates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
