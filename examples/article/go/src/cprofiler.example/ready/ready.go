// Package ready prints the line cprofiler reads as the instant a service is ready:
// "ready monotonic_ns=<CLOCK_MONOTONIC ns>", which containers share with the host.
package ready

import (
	"fmt"
	"syscall"
	"unsafe"
)

func monotonicNs() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// Print writes the ready line; call it once the socket listens.
func Print() { fmt.Printf("ready monotonic_ns=%d\n", monotonicNs()) }
