//go:build !linux

package reporttest

import "time"

// ThreadCPU reports that the calling thread's CPU time cannot be read: it
// can only on Linux.
func ThreadCPU() (tid int, cpu time.Duration, ok bool) { return 0, 0, false }
