//go:build !unix

package directory

import "time"

// cpuTime is not measured here; the benchmarks then report no CPU metric.
func cpuTime() time.Duration { return 0 }
