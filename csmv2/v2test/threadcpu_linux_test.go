package v2test

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTime is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTime = 3

// threadCPU returns the calling OS thread's ID and the CPU time it has
// used, and whether they could be read. The goroutine is locked to its
// thread between the two reads: otherwise it could move to another thread
// in between, and the CPU time would be another thread's than the ID says
// (one round charged a batch the difference between two threads' lifetimes
// that way, about 50 µs a call). It is not locked during the calls
// measured, since a locked thread makes every goroutine switch, such as
// the original reporter's wake-up of its sender, far dearer.
func threadCPU() (tid int, cpu time.Duration, ok bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, 0, false
	}
	return syscall.Gettid(), time.Duration(ts.Nano()), true
}
