// Package ready serves an app's handler on :8080 and prints the line cprofiler reads as the
// instant the service is ready: "ready monotonic_ns=<CLOCK_MONOTONIC ns>", which containers share
// with the host, once the socket listens.
package ready

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"unsafe"
)

func monotonicNs() int64 {
	var ts syscall.Timespec
	const clockMonotonic = 1
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// Serve listens on :8080, prints the ready line and serves handler with net/http until it fails.
func Serve(handler http.Handler) {
	ln, err := net.Listen("tcp", ":8080")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Printf("ready monotonic_ns=%d\n", monotonicNs())
	if err := http.Serve(ln, handler); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}
