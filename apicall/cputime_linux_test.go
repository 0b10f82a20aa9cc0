package apicall_test

import (
	"syscall"
	"time"
)

// threadCPU is the calling thread's CPU time (the caller locks its OS
// thread): per-op CPU cost that other processes on a shared machine do
// not inflate the way they inflate wall time.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
