package issuer

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTimeID is CLOCK_THREAD_CPUTIME_ID (Linux).
const clockThreadCPUTimeID = 3

// threadCPU returns the CPU time the current OS thread has used, with
// nanosecond resolution (getrusage only counts scheduler ticks); callers
// lock the goroutine to its thread. On a machine shared with other work it
// is far steadier than wall-clock time, since time spent descheduled is
// not counted.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

func lockThread() (unlock func()) {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
