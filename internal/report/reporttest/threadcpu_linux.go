package reporttest

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTime is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTime = 3

// ThreadCPU returns the calling OS thread's ID and the CPU time it has used,
// and whether they could be read (only on Linux). Benchmarks read it before
// and after a batch of calls and keep the difference only when both reads
// name the same thread: the goroutine is locked to its thread between the
// two reads inside ThreadCPU, but not during the calls measured, since a
// locked thread makes every goroutine switch (a reporter waking its sender,
// say) far dearer.
func ThreadCPU() (tid int, cpu time.Duration, ok bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, 0, false
	}
	return syscall.Gettid(), time.Duration(ts.Nano()), true
}
