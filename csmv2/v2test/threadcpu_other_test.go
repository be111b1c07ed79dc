//go:build !linux

package v2test

import "time"

// threadCPU reports that the calling thread's CPU time cannot be read.
func threadCPU() (tid int, cpu time.Duration, ok bool) { return 0, 0, false }
